use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{AuthApp, error_code, spawn_app, spawn_app_with, unique_email, unique_phone};

async fn request_code(app: &AuthApp, phone: &str) -> reqwest::Response {
    app.post("/v1/auth/otp/request", json!({"phone": phone}))
        .await
}

async fn verify_from(app: &AuthApp, ip: &str, phone: &str, code: &str) -> reqwest::Response {
    app.post_from(
        ip,
        "/v1/auth/otp/verify",
        json!({"phone": phone, "code": code}),
    )
    .await
}

async fn verify(app: &AuthApp, phone: &str, code: &str) -> reqwest::Response {
    verify_from(app, "192.0.2.1", phone, code).await
}

/// A code that is not `code`.
fn other_than(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

#[tokio::test]
async fn a_code_sent_by_sms_logs_the_user_in_once() {
    let app = spawn_app().await;
    let phone = unique_phone();
    let user = app.register(&unique_email(), Some(&phone)).await;

    let response = request_code(&app, &phone).await;
    assert_eq!(response.status(), 202);
    let code = app.sms_code(&phone, 0).await;
    assert!(code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()));
    let sms = app
        .job("sms.transactional", |j| {
            j["payload"]["recipient"]["phone"] == phone.as_str()
        })
        .await;
    assert_eq!(sms["type"], "sms.transactional");
    assert_eq!(sms["payload"]["template"], "login_code");
    assert_eq!(sms["payload"]["expires_in_minutes"], 5);

    let response = verify(&app, &phone, &code).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    let me: Value = app
        .get_as("/v1/auth/me", tokens["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["uuid"], user["uuid"]);

    // Single use.
    assert_eq!(
        error_code(verify(&app, &phone, &code).await).await,
        (401, "invalid_code".into())
    );
}

#[tokio::test]
async fn an_unknown_number_gets_the_same_202_and_no_sms() {
    let app = spawn_app().await;
    let known = unique_phone();
    app.register(&unique_email(), Some(&known)).await;
    let unknown = unique_phone();
    let a = request_code(&app, &unknown).await;
    let b = request_code(&app, &known).await;
    assert_eq!(
        (a.status(), b.status()),
        (reqwest::StatusCode::ACCEPTED, reqwest::StatusCode::ACCEPTED)
    );
    assert_eq!(a.text().await.unwrap(), b.text().await.unwrap());
    app.sms_code(&known, 0).await;
    let to_unknown = app
        .jobs("sms.transactional")
        .await
        .into_iter()
        .filter(|j| j["payload"]["recipient"]["phone"] == unknown.as_str())
        .count();
    assert_eq!(to_unknown, 0);
}

#[tokio::test]
async fn a_wrong_code_is_a_401_and_only_the_newest_code_works() {
    let app = spawn_app().await;
    let phone = unique_phone();
    app.register(&unique_email(), Some(&phone)).await;
    request_code(&app, &phone).await;
    let first = app.sms_code(&phone, 0).await;
    assert_eq!(
        error_code(verify(&app, &phone, &other_than(&first)).await).await,
        (401, "invalid_code".into())
    );

    request_code(&app, &phone).await;
    let second = app.sms_code(&phone, 1).await;
    if first != second {
        assert_eq!(
            verify(&app, &phone, &first).await.status(),
            401,
            "superseded"
        );
    }
    assert_eq!(verify(&app, &phone, &second).await.status(), 200);
}

#[tokio::test]
async fn five_attempts_per_number_from_any_address_then_429_and_a_new_code_does_not_reset_it() {
    let app = spawn_app().await;
    let phone = unique_phone();
    app.register(&unique_email(), Some(&phone)).await;
    request_code(&app, &phone).await;
    let code = app.sms_code(&phone, 0).await;
    let wrong = other_than(&code);
    for (i, ip) in [
        "198.51.100.1",
        "198.51.100.2",
        "198.51.100.3",
        "198.51.100.4",
        "198.51.100.5",
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(
            verify_from(&app, ip, &phone, &wrong).await.status(),
            401,
            "attempt {}",
            i + 1
        );
    }
    request_code(&app, &phone).await;
    let fresh = app.sms_code(&phone, 1).await;
    let blocked = verify_from(&app, "203.0.113.99", &phone, &fresh).await;
    assert_eq!(blocked.status(), 429);
    assert!(blocked.headers().get("retry-after").is_some());
    assert_eq!(error_code(blocked).await.1, "rate_limited");
}

#[tokio::test]
async fn code_requests_are_limited_per_number() {
    let app = spawn_app().await;
    let phone = unique_phone();
    app.register(&unique_email(), Some(&phone)).await;
    for _ in 0..3 {
        assert_eq!(request_code(&app, &phone).await.status(), 202);
    }
    let fourth = request_code(&app, &phone).await;
    assert_eq!(fourth.status(), 429);
    assert!(fourth.headers().get("retry-after").is_some());
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let app = spawn_app_with(&[("APP_AUTH__OTP__TTL_SECS", "1")]).await;
    let phone = unique_phone();
    app.register(&unique_email(), Some(&phone)).await;
    request_code(&app, &phone).await;
    let code = app.sms_code(&phone, 0).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        error_code(verify(&app, &phone, &code).await).await,
        (401, "invalid_code".into())
    );
}

#[tokio::test]
async fn malformed_numbers_and_codes_are_422() {
    let app = spawn_app().await;
    assert_eq!(
        error_code(request_code(&app, "0151-no").await).await,
        (422, "validation_failed".into())
    );
    for code in ["12345", "1234567", "12a456", ""] {
        let response = verify(&app, &unique_phone(), code).await;
        assert_eq!(
            error_code(response).await,
            (422, "validation_failed".into()),
            "{code:?}"
        );
    }
}
