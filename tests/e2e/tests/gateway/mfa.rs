//! The TOTP second factor through the gateway: turned on, sign-in answers
//! a challenge, a code turns it into tokens that say so.

use dayone_test_support::accounts::{PASSWORD, login_at, register_at};
use dayone_test_support::{accounts, totp};
use reqwest::header::AUTHORIZATION;
use serde_json::{Value, json};

use super::gateway;

async fn post(path: &str, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(gateway(&format!("{}{path}", accounts().path)))
        .json(&body);
    if let Some(token) = token {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn an_account_with_a_second_factor_signs_in_with_a_code() {
    let client = reqwest::Client::new();
    let email = format!("totp-{}@example.com", uuid::Uuid::new_v4().simple());
    register_at(
        &client,
        &gateway(""),
        json!({"email": email, "password": PASSWORD, "name": "Tess"}),
    )
    .await;
    let token = login_at(&client, &gateway(""), &email).await;
    let enrollment: Value = post("/mfa/totp", Some(&token), json!({}))
        .await
        .json()
        .await
        .unwrap();
    let secret = enrollment["secret"].as_str().unwrap();
    let confirmed = post(
        "/mfa/totp/confirm",
        Some(&token),
        json!({"code": totp::code(secret, 0)}),
    )
    .await;
    assert_eq!(confirmed.status(), 200);

    let challenge: Value = post(
        "/login",
        None,
        json!({"email": email, "password": PASSWORD}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(challenge["mfa_required"], true, "{challenge}");
    let wrong = post(
        "/mfa/verify",
        None,
        json!({"mfa_token": challenge["mfa_token"], "code": "000000"}),
    )
    .await;
    assert_eq!(wrong.status(), 401);
    let tokens: Value = post(
        "/mfa/verify",
        None,
        json!({"mfa_token": challenge["mfa_token"], "code": totp::code(secret, 1)}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(tokens["access_token"].is_string(), "{tokens}");
    // Routes that demand the factor take this session.
    let fresh = post(
        "/mfa/recovery-codes",
        tokens["access_token"].as_str(),
        json!({}),
    )
    .await;
    assert_eq!(fresh.status(), 200);
}
