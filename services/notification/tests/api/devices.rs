use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

const IOS: &str = "0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000";

#[tokio::test]
async fn devices_are_registered_listed_and_removed_per_user() {
    let app = spawn_app().await;
    let user = app.user().await;
    let device = json!({"platform": "ios", "token": IOS.to_uppercase()});
    let created = app
        .send(
            Method::POST,
            "/v1/devices",
            &user.token,
            Some(device.clone()),
        )
        .await;
    assert_eq!(created.status(), 201);
    let again = app
        .send(
            Method::POST,
            "/v1/devices",
            &user.token,
            Some(device.clone()),
        )
        .await;
    assert_eq!(again.status(), 200, "registering twice is harmless");
    let listed: Vec<Value> = app
        .send(Method::GET, "/v1/devices", &user.token, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["token"], IOS, "stored in one case");

    let removed = app
        .send(
            Method::DELETE,
            "/v1/devices",
            &user.token,
            Some(device.clone()),
        )
        .await;
    assert_eq!(removed.status(), 204);
    let gone = app
        .send(Method::DELETE, "/v1/devices", &user.token, Some(device))
        .await;
    assert_eq!(gone.status(), 404);
}

#[tokio::test]
async fn a_token_moves_to_the_user_who_registers_it_last() {
    let app = spawn_app().await;
    let first = app.user().await;
    let second = app.user().await;
    let device = json!({"platform": "android", "token": "shared-fcm-token-0123456789"});
    app.send(
        Method::POST,
        "/v1/devices",
        &first.token,
        Some(device.clone()),
    )
    .await;
    assert_eq!(
        app.send(Method::POST, "/v1/devices", &second.token, Some(device))
            .await
            .status(),
        201
    );
    let firsts: Vec<Value> = app
        .send(Method::GET, "/v1/devices", &first.token, None)
        .await
        .json()
        .await
        .unwrap();
    assert!(firsts.is_empty());
}

#[tokio::test]
async fn malformed_devices_are_422_and_anonymous_calls_401() {
    let app = spawn_app().await;
    let user = app.user().await;
    for body in [
        json!({"platform": "ios", "token": "short"}),
        json!({"platform": "ios", "token": "z".repeat(64)}),
        json!({"platform": "android", "token": "has spaces in it 1234567890"}),
        json!({"platform": "windows", "token": "x".repeat(64)}),
        json!({"token": "x".repeat(64)}),
    ] {
        let response = app
            .send(Method::POST, "/v1/devices", &user.token, Some(body.clone()))
            .await;
        assert_eq!(response.status(), 422, "{body}");
    }
    let anonymous = app
        .client
        .post(app.url("/v1/devices"))
        .json(&json!({"platform": "ios", "token": IOS}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}
