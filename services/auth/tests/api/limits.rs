//! The request limits that keep auth from being used to spend money or
//! flood inboxes: per address on registration, login codes and reset links,
//! and one SMS budget for everyone. The numbers come from settings; these
//! tests set small ones.

use serde_json::{Value, json};

use crate::helpers::{AuthApp, PASSWORD, spawn_app_with, unique_email, unique_phone};

async fn assert_limited(response: reqwest::Response, what: &str) {
    assert_eq!(response.status(), 429, "{what}");
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{what}: Retry-After {retry}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited", "{what}");
}

/// SMS pumping: one address asks codes for many numbers it registered.
#[tokio::test]
async fn login_codes_from_one_address_for_many_numbers_stop_at_its_limit() {
    let app = spawn_app_with(&[("APP_THROTTLES__OTP_REQUEST_PER_ADDRESS__MAX", "3")]).await;
    let mut phones = Vec::new();
    for _ in 0..5 {
        let phone = unique_phone();
        app.register(&unique_email(), Some(&phone)).await;
        phones.push(phone);
    }
    let pump = "203.0.113.7";
    for phone in &phones[..3] {
        let response = app
            .post_from(pump, "/v1/auth/otp/request", json!({"phone": phone}))
            .await;
        assert_eq!(response.status(), 202);
    }
    let refused = app
        .post_from(pump, "/v1/auth/otp/request", json!({"phone": phones[3]}))
        .await;
    assert_limited(refused, "the fourth number from one address").await;
    assert_eq!(
        app.outbox_count("sms.transactional").await,
        3,
        "no SMS for a refused request"
    );
    // Another address is not held back by it.
    let other = app
        .post_from(
            "198.51.100.9",
            "/v1/auth/otp/request",
            json!({"phone": phones[4]}),
        )
        .await;
    assert_eq!(other.status(), 202);
    assert_eq!(app.outbox_count("sms.transactional").await, 4);
}

/// However many addresses ask, auth sends no more SMS than its budget, and
/// says so to the alert webhook.
#[tokio::test]
async fn the_sms_budget_caps_codes_from_every_address_together() {
    let app = spawn_app_with(&[("APP_THROTTLES__SMS_BUDGET__MAX", "2")]).await;
    let mut statuses = Vec::new();
    for i in 0..4 {
        let phone = unique_phone();
        app.register(&unique_email(), Some(&phone)).await;
        let address = format!("192.0.2.{}", 10 + i);
        let response = app
            .post_from(&address, "/v1/auth/otp/request", json!({"phone": phone}))
            .await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [202, 202, 429, 429]);
    assert_eq!(app.outbox_count("sms.transactional").await, 2);
    // The alert went out once (or was logged): its key is set in Redis.
    let alerted: Option<String> = redis::cmd("GET")
        .arg(app.redis().key("alert:sms_budget_spent"))
        .query_async(&mut app.redis().connection())
        .await
        .unwrap();
    assert_eq!(alerted.as_deref(), Some("auth"));
}

/// Two requests from one address are answered `ok`, the third is a 429,
/// and another address is still answered: `body` makes each request's body
/// (a new email each time, so only the address limit applies).
async fn limited_per_address(app: &AuthApp, path: &str, ok: u16, body: impl Fn() -> Value) {
    let (one, other) = ("203.0.113.8", "198.51.100.8");
    for _ in 0..2 {
        assert_eq!(
            app.post_from(one, path, body()).await.status(),
            ok,
            "{path}"
        );
    }
    assert_limited(app.post_from(one, path, body()).await, path).await;
    assert_eq!(
        app.post_from(other, path, body()).await.status(),
        ok,
        "{path}"
    );
}

#[tokio::test]
async fn registrations_from_one_address_stop_at_its_limit() {
    let app = spawn_app_with(&[("APP_THROTTLES__REGISTER_PER_ADDRESS__MAX", "2")]).await;
    limited_per_address(
        &app,
        "/v1/auth/register",
        201,
        || json!({"email": unique_email(), "password": PASSWORD}),
    )
    .await;
}

/// Reset links for many different emails from one address.
#[tokio::test]
async fn reset_links_from_one_address_for_many_emails_stop_at_its_limit() {
    let app = spawn_app_with(&[("APP_THROTTLES__PASSWORD_RESET_PER_ADDRESS__MAX", "2")]).await;
    limited_per_address(
        &app,
        "/v1/auth/password/forgot",
        202,
        || json!({"email": unique_email()}),
    )
    .await;
}

#[tokio::test]
async fn a_policy_missing_from_settings_keeps_auth_from_starting() {
    let app = spawn_app_with(&[]).await;
    let mut settings = app.settings();
    settings.common.throttles = serde_json::from_value(json!({
        "register_per_address": {"max": 1, "window_secs": 60}
    }))
    .unwrap();
    let error = dayone_auth::Application::build(settings)
        .await
        .err()
        .expect("auth started without its limits");
    assert!(
        error.to_string().contains("throttles.sms_budget"),
        "{error}"
    );
}

/// A known account's request does more (a token, an outbox row); neither
/// answer comes sooner than the floor, so the timing does not tell which.
/// (The medians, known against unknown, are in `make bench`.)
#[tokio::test]
async fn code_and_reset_requests_answer_no_sooner_than_the_floor_known_or_not() {
    let app = spawn_app_with(&[("APP_AUTH__ANONYMOUS_ANSWER_FLOOR_MS", "300")]).await;
    let (email, phone) = (unique_email(), unique_phone());
    app.register(&email, Some(&phone)).await;
    for (path, body) in [
        ("/v1/auth/password/forgot", json!({"email": email})),
        ("/v1/auth/password/forgot", json!({"email": unique_email()})),
        ("/v1/auth/otp/request", json!({"phone": phone})),
        ("/v1/auth/otp/request", json!({"phone": unique_phone()})),
    ] {
        let started = std::time::Instant::now();
        let response = app.post(path, body.clone()).await;
        let took = started.elapsed();
        assert_eq!(response.status(), 202, "{path} {body}");
        assert!(
            took.as_millis() >= 300,
            "{path} {body} answered in {took:?}"
        );
    }
}
