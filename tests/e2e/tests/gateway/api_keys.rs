//! API keys through the gateway: one key works at the products API and the
//! notifications API where its scopes allow, and at neither the moment it is
//! revoked.

use std::time::{Duration, Instant};

use reqwest::header::AUTHORIZATION;
use serde_json::{Value, json};

use dayone_test_support::accounts;

use super::{admin_token, gateway};

async fn call(
    method: reqwest::Method,
    path: &str,
    credential: &str,
    body: Value,
) -> reqwest::Response {
    reqwest::Client::new()
        .request(method, gateway(path))
        .header(AUTHORIZATION, format!("Bearer {credential}"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn make_key(admin: &str, scopes: &[&str]) -> Value {
    let made = call(
        reqwest::Method::POST,
        &format!("{}/api-keys", accounts().path),
        admin,
        json!({"name": "e2e", "scopes": scopes, "expires_in_days": 1}),
    )
    .await;
    assert_eq!(made.status(), 201);
    made.json().await.unwrap()
}

fn product() -> Value {
    json!({"name": "Key-made kettle", "price_cents": 2500, "stock": 3})
}

fn message() -> Value {
    json!({"channel": "email", "recipient": {"email": "key-test@example.com", "name": "Kay"}, "template": "welcome"})
}

async fn status(method: reqwest::Method, path: &str, key: &str, body: Value) -> u16 {
    call(method, path, key, body).await.status().as_u16()
}

#[tokio::test]
async fn a_key_works_where_its_scopes_allow_and_nowhere_once_revoked() {
    let admin = admin_token().await;
    let key = make_key(&admin, &["products:write", "notifications:send"]).await;
    let text = key["key_text"].as_str().unwrap();
    let post = reqwest::Method::POST;

    assert_eq!(
        status(post.clone(), "/v1/products", text, product()).await,
        201
    );
    let sent = call(post.clone(), "/v1/notifications", text, message()).await;
    assert_eq!(sent.status(), 202, "{:?}", sent.text().await);
    // Its scopes are all it has: no user listing, no orders of its own.
    let users = call(reqwest::Method::GET, "/v1/users?q=a", text, json!({})).await;
    assert_eq!(users.status(), 403);
    let orders = call(reqwest::Method::GET, "/v1/orders", text, json!({})).await;
    assert_eq!(orders.status(), 403);

    let revoked = reqwest::Client::new()
        .delete(gateway(&format!(
            "{}/api-keys/{}",
            accounts().path,
            key["uuid"].as_str().unwrap()
        )))
        .header(AUTHORIZATION, format!("Bearer {admin}"))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    let at = Instant::now();
    // Refused at both services within a second (the grant is withdrawn
    // before the revocation is answered, so in practice at once).
    loop {
        let products = status(post.clone(), "/v1/products", text, product()).await;
        let notify = status(post.clone(), "/v1/notifications", text, message()).await;
        if products == 401 && notify == 401 {
            break;
        }
        assert!(
            at.elapsed() < Duration::from_secs(1),
            "still accepted after revocation: products {products}, notifications {notify}"
        );
    }
}

#[tokio::test]
async fn a_key_without_the_scope_is_refused_with_a_403_naming_it() {
    let admin = admin_token().await;
    let key = make_key(&admin, &["users:read"]).await;
    let text = key["key_text"].as_str().unwrap();
    for (path, body, scope) in [
        ("/v1/products", product(), "products:write"),
        ("/v1/notifications", message(), "notifications:send"),
    ] {
        let response = call(reqwest::Method::POST, path, text, body).await;
        assert_eq!(response.status(), 403, "{path}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["code"], "forbidden");
        assert!(
            error["message"].as_str().unwrap().contains(scope),
            "{error}"
        );
    }
}
