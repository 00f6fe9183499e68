use std::time::Duration;

use dayone_test_support::mail;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{spawn_app, unique_email, unique_phone};

fn welcome(to: &str) -> Value {
    json!({"channel": "email", "recipient": {"email": to, "name": "Ida"}, "template": "welcome"})
}

#[tokio::test]
async fn an_admin_queues_a_notification_and_follows_its_status() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let to = unique_email();
    let response = app
        .send(
            Method::POST,
            "/v1/notifications",
            &admin.token,
            Some(welcome(&to)),
        )
        .await;
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let accepted: Value = response.json().await.unwrap();
    assert_eq!(accepted["status"], "queued");
    let id: uuid::Uuid = accepted["uuid"].as_str().unwrap().parse().unwrap();
    assert_eq!(location, format!("/v1/notifications/{id}"));

    assert!(
        mail::wait_for(&app.env.stack, &to, Duration::from_secs(15))
            .await
            .is_some()
    );
    let status = app
        .status_when(id, &admin.token, |s| s["status"] == "sent")
        .await;
    assert_eq!(status["channel"], "email");
    assert_eq!(status["template"], "welcome");
    assert_eq!(status["deliveries"][0]["address"], to.as_str());
}

#[tokio::test]
async fn an_internal_caller_sends_with_the_service_token() {
    let app = spawn_app().await;
    let phone = unique_phone();
    let body = json!({"channel": "sms", "category": "transactional", "recipient": {"phone": phone}, "template": "order_receipt", "order_number": "B-7", "total": "€3.00"});
    let response = app
        .client
        .post(app.url("/v1/notifications"))
        .header("x-service-token", "dev-insecure-notification-service-token")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(
        response.headers()["deprecation"],
        "true",
        "use an API key instead"
    );
    let sent = app
        .received("sms", |r| r.body["To"] == phone.as_str(), 1)
        .await;
    assert!(sent[0].body["Body"].as_str().unwrap().contains("B-7"));

    let wrong = app
        .client
        .post(app.url("/v1/notifications"))
        .header("x-service-token", "guess")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
}

#[tokio::test]
async fn users_cannot_send_and_anonymous_callers_are_asked_for_credentials() {
    let app = spawn_app().await;
    let user = app.user().await;
    let as_user = app
        .send(
            Method::POST,
            "/v1/notifications",
            &user.token,
            Some(welcome(&unique_email())),
        )
        .await;
    assert_eq!(as_user.status(), 403);
    let anonymous = app
        .client
        .post(app.url("/v1/notifications"))
        .json(&welcome(&unique_email()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().get("www-authenticate").is_some());
}

#[tokio::test]
async fn invalid_notifications_are_422_with_a_reason() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cases = [
        json!({"recipient": {"email": "a@b.co"}, "template": "welcome"}),
        json!({"channel": "fax", "recipient": {}}),
        json!({"channel": "email", "recipient": {}, "template": "welcome"}),
        json!({"channel": "email", "recipient": {"email": "a@b.co"}, "template": "no_such"}),
        json!({"channel": "sms", "recipient": {"phone": "+15550100"}, "template": "login_code", "code": "1", "expires_in_minutes": 5}),
        json!({"channel": "sms", "category": "transactional", "recipient": {"phone": "+15550100"}, "template": "campaign", "text": "sale"}),
        json!({"channel": "push", "category": "transactional", "recipient": {"email": "a@b.co"}, "title": "t", "body": "b"}),
    ];
    for body in cases {
        let response = app
            .send(
                Method::POST,
                "/v1/notifications",
                &admin.token,
                Some(body.clone()),
            )
            .await;
        assert_eq!(response.status(), 422, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["code"], "validation_failed");
        assert!(error["message"].as_str().unwrap().len() > 10);
    }
}

#[tokio::test]
async fn only_the_recipient_and_admins_see_a_notification() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let owner = app.user().await;
    let stranger = app.user().await;
    let body = json!({"channel": "email", "recipient": {"user_uuid": owner.uuid, "email": owner.email}, "template": "welcome"});
    let accepted: Value = app
        .send(Method::POST, "/v1/notifications", &admin.token, Some(body))
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/v1/notifications/{}", accepted["uuid"].as_str().unwrap());
    assert_eq!(
        app.send(Method::GET, &path, &owner.token, None)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.send(Method::GET, &path, &admin.token, None)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.send(Method::GET, &path, &stranger.token, None)
            .await
            .status(),
        404
    );
    assert_eq!(app.get(&path).await.status(), 401);
    assert_eq!(
        app.send(
            Method::GET,
            "/v1/notifications/not-a-uuid",
            &owner.token,
            None
        )
        .await
        .status(),
        400
    );
}

/// A job's free-form JSON goes into PostgreSQL and comes back: a float near
/// the end of f64's range, which PostgreSQL prints in full, must read back
/// as the number it was, not fail the request.
#[tokio::test]
async fn extreme_numbers_in_a_job_survive_the_database() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut body = welcome(&unique_email());
    body["template"] = json!("order_receipt");
    body["order"] = json!({"number": "X", "total": "1", "items": [], "huge": 1.797_693_134_862_315_7e308, "tiny": -5e-324});
    let response = app
        .send(Method::POST, "/v1/notifications", &admin.token, Some(body))
        .await;
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
}
