//! The in-app inbox through the gateway: the stream passes nginx unbuffered
//! (an item arrives while the response is still open), and only the
//! item's owner can mark it.

use std::time::{Duration, Instant};

use dayone_test_support::accounts::{PASSWORD, login_at, register_at};
use dayone_test_support::sse::Events;
use reqwest::header::AUTHORIZATION;
use serde_json::{Value, json};

use super::{admin_token, gateway};

async fn call(
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, gateway(path))
        .header(AUTHORIZATION, format!("Bearer {token}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn someone() -> (String, String) {
    let client = reqwest::Client::new();
    let email = format!("inbox-{}@example.com", uuid::Uuid::new_v4().simple());
    let account = register_at(
        &client,
        &gateway(""),
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    let token = login_at(&client, &gateway(""), &email).await;
    (account["uuid"].as_str().unwrap().to_owned(), token)
}

#[tokio::test]
async fn an_item_streams_through_the_gateway_and_only_its_owner_marks_it() {
    let admin = admin_token().await;
    let key = format!("inbox.{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let (status, body) = call(
        reqwest::Method::POST,
        "/v1/notifications/templates",
        &admin,
        Some(
            json!({"key": key, "category": "transactional", "default_locale": "en",
            "variables": [{"name": "n"}],
            "content": {"en": {"in_app": {"title": "Invoice {{ n }}", "body": "Paid."}}}}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    call(
        reqwest::Method::POST,
        &format!("/v1/notifications/templates/{key}/publish"),
        &admin,
        Some(json!({"version": 1})),
    )
    .await;

    let (user, token) = someone().await;
    let (_, stranger) = someone().await;
    let response = reqwest::Client::new()
        .get(gateway("/v1/inbox/stream"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut events = Events::new(response);
    assert!(
        events.opened(Duration::from_secs(5)).await,
        "the gateway passed the first bytes on"
    );

    let sent = Instant::now();
    let (status, _) = call(
        reqwest::Method::POST,
        "/v1/notifications",
        &admin,
        Some(json!({"channel": "in_app", "template": key, "recipient": {"user_uuid": user}, "variables": {"n": "42"}})),
    )
    .await;
    assert_eq!(status, 202);
    let event = events
        .next(Duration::from_secs(5))
        .await
        .expect("the item through the gateway");
    assert!(
        sent.elapsed() < Duration::from_secs(1),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(event.json()["title"], "Invoice 42");
    let uuid = event.id.unwrap();

    let (_, count) = call(reqwest::Method::GET, "/v1/inbox/unread-count", &token, None).await;
    assert_eq!(count["unread"], 1);
    let (status, _) = call(
        reqwest::Method::POST,
        &format!("/v1/inbox/{uuid}/read"),
        &stranger,
        None,
    )
    .await;
    assert_eq!(status, 404, "not the stranger's to mark");
    let (status, _) = call(
        reqwest::Method::POST,
        &format!("/v1/inbox/{uuid}/read"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (_, count) = call(reqwest::Method::GET, "/v1/inbox/unread-count", &token, None).await;
    assert_eq!(count["unread"], 0);
}
