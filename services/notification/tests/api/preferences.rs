use std::time::Duration;

use chrono::Utc;
use dayone_model::messages::notifications::{EmailJob, EmailTemplate, Recipient};
use dayone_test_support::mail;
use reqwest::Method;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn preferences_default_to_everything_on_and_round_trip() {
    let app = spawn_app().await;
    let user = app.user().await;
    let defaults: Value = app
        .send(
            Method::GET,
            "/v1/notifications/preferences",
            &user.token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        defaults,
        json!({"email": {"promotional": true}, "sms": {"promotional": true}, "push": {"promotional": true}, "quiet_hours": null})
    );

    let wanted = json!({"email": {"promotional": false}, "sms": {"promotional": true}, "push": {"promotional": false},
        "quiet_hours": {"start": "22:00", "end": "07:30", "timezone": "Europe/Berlin"}});
    let saved = app
        .send(
            Method::PUT,
            "/v1/notifications/preferences",
            &user.token,
            Some(wanted.clone()),
        )
        .await;
    assert_eq!(saved.status(), 200);
    let read: Value = app
        .send(
            Method::GET,
            "/v1/notifications/preferences",
            &user.token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read, wanted);
}

#[tokio::test]
async fn invalid_preferences_are_422() {
    let app = spawn_app().await;
    let user = app.user().await;
    let base = |quiet: Value| json!({"email": {"promotional": true}, "sms": {"promotional": true}, "push": {"promotional": true}, "quiet_hours": quiet});
    for quiet in [
        json!({"start": "25:00", "end": "07:00", "timezone": "UTC"}),
        json!({"start": "22:00", "end": "07:00", "timezone": "Mars/Olympus"}),
        json!({"start": "07:00", "end": "07:00", "timezone": "UTC"}),
    ] {
        let response = app
            .send(
                Method::PUT,
                "/v1/notifications/preferences",
                &user.token,
                Some(base(quiet.clone())),
            )
            .await;
        assert_eq!(response.status(), 422, "{quiet}");
    }
    let missing = app
        .send(
            Method::PUT,
            "/v1/notifications/preferences",
            &user.token,
            Some(json!({"email": {"promotional": true}})),
        )
        .await;
    assert_eq!(missing.status(), 422);
    assert_eq!(app.get("/v1/notifications/preferences").await.status(), 401);
}

#[tokio::test]
async fn promotional_mail_in_quiet_hours_waits_and_goes_out_after_them() {
    let app = spawn_app().await;
    let user = app.user().await;
    // Quiet right now, whatever the time: from an hour ago to an hour ahead.
    let now = Utc::now();
    let quiet = json!({"start": (now - chrono::Duration::hours(1)).format("%H:%M").to_string(),
        "end": (now + chrono::Duration::hours(1)).format("%H:%M").to_string(), "timezone": "UTC"});
    let prefs = json!({"email": {"promotional": true}, "sms": {"promotional": true}, "push": {"promotional": true}, "quiet_hours": quiet});
    app.send(
        Method::PUT,
        "/v1/notifications/preferences",
        &user.token,
        Some(prefs),
    )
    .await;

    let envelope = app
        .publish(EmailJob {
            recipient: Recipient {
                user_uuid: Some(user.uuid),
                email: Some(user.email.clone()),
                ..Default::default()
            },
            template: EmailTemplate::WeeklyRecommendations {
                products: json!([{"name": "Teapot", "price": "€30.00"}]),
            },
        })
        .await;
    let deferred = app
        .status_when(envelope.id, &user.token, |s| s["status"] == "deferred")
        .await;
    let not_before: chrono::DateTime<Utc> = deferred["deliveries"][0]["not_before"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        not_before > now
            && not_before <= now + chrono::Duration::hours(1) + chrono::Duration::minutes(1)
    );

    // Quiet hours end (the user clears them; time moves past not_before).
    let open = json!({"email": {"promotional": true}, "sms": {"promotional": true}, "push": {"promotional": true}, "quiet_hours": null});
    app.send(
        Method::PUT,
        "/v1/notifications/preferences",
        &user.token,
        Some(open),
    )
    .await;
    app.db
        .execute_raw(Statement::from_string(DbBackend::Postgres, "UPDATE deliveries SET not_before = now() - interval '1 second' WHERE status = 'deferred'"))
        .await
        .unwrap();
    app.status_when(envelope.id, &user.token, |s| s["status"] == "sent")
        .await;
    let delivered = mail::wait_for_subject(
        &app.env.stack,
        &user.email,
        "Picked for you this week",
        Duration::from_secs(10),
    )
    .await;
    assert!(delivered.is_some());
}
