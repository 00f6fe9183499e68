use std::time::Duration;

use dayone_model::messages::notifications::{
    EmailJob, EmailTemplate, Recipient, TransactionalSms, TransactionalSmsTemplate,
};
use dayone_test_support::{eventually, mail};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{NotifyApp, User, spawn_app, unique_email};

fn code_for(user: &User) -> TransactionalSms {
    TransactionalSms {
        recipient: Recipient {
            user_uuid: Some(user.uuid),
            phone: Some(user.phone.clone()),
            ..Default::default()
        },
        template: TransactionalSmsTemplate::LoginCode {
            code: "120034".into(),
            expires_in_minutes: 5,
        },
    }
}

async fn dead_letters(app: &NotifyApp, admin: &User) -> Value {
    app.send(
        Method::GET,
        "/v1/notifications/admin/dead-letters",
        &admin.token,
        None,
    )
    .await
    .json()
    .await
    .unwrap()
}

#[tokio::test]
async fn a_provider_failing_twice_is_retried_with_backoff_and_the_third_attempt_succeeds() {
    let app = spawn_app().await;
    let user = app.user().await;
    app.fake.fail("sms", 503, 2);
    let envelope = app.publish(code_for(&user)).await;

    let status = app
        .status_when(envelope.id, &user.token, |s| s["status"] == "sent")
        .await;
    let delivery = &status["deliveries"][0];
    assert_eq!(delivery["attempts"], 3);
    let outcomes: Vec<&str> = delivery["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["transient_error", "transient_error", "sent"]);
    assert!(
        delivery["history"][0]["error"]
            .as_str()
            .unwrap()
            .contains("503")
    );
    let requests = app
        .received("sms", |r| r.body["To"] == user.phone.as_str(), 3)
        .await;
    assert_eq!(
        requests.iter().map(|r| r.status).collect::<Vec<_>>(),
        [503, 503, 201]
    );
}

#[tokio::test]
async fn a_duplicated_job_sends_once() {
    let app = spawn_app().await;
    let user = app.user().await;
    let envelope = app.publish(code_for(&user)).await;
    app.status_when(envelope.id, &user.token, |s| s["status"] == "sent")
        .await;
    app.republish(&envelope).await;
    app.republish(&envelope).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let requests: Vec<_> = app
        .fake
        .received("sms")
        .into_iter()
        .filter(|r| r.body["To"] == user.phone.as_str())
        .collect();
    assert_eq!(requests.len(), 1);
    let status = app.status_when(envelope.id, &user.token, |_| true).await;
    assert_eq!(status["deliveries"][0]["attempts"], 1);
}

#[tokio::test]
async fn exhausted_retries_end_in_the_dead_letter_queue_and_the_delivery_failed() {
    // Test settings retry twice (200 ms, 400 ms): three attempts in all.
    let app = spawn_app().await;
    let user = app.user().await;
    let admin = app.admin().await;
    app.fake.fail("sms", 503, 3);
    let envelope = app.publish(code_for(&user)).await;
    let status = app
        .status_when(envelope.id, &user.token, |s| s["status"] == "failed")
        .await;
    assert_eq!(status["deliveries"][0]["attempts"], 3);
    assert!(
        status["deliveries"][0]["last_error"]
            .as_str()
            .unwrap()
            .starts_with("gave up")
    );
    let counts = eventually(Duration::from_secs(10), || async {
        let body = dead_letters(&app, &admin).await;
        (body["dead_letters"]["sms.transactional"] == 1).then_some(body)
    })
    .await;
    assert!(counts.is_some());
}

#[tokio::test]
async fn a_poison_job_lands_in_the_dead_letter_queue_and_replays_once_fixed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // No address in the job and no contact for the user: it cannot be sent.
    let user = uuid::Uuid::new_v4();
    app.publish(EmailJob {
        recipient: Recipient {
            user_uuid: Some(user),
            ..Default::default()
        },
        template: EmailTemplate::Welcome,
    })
    .await;
    let dead = eventually(Duration::from_secs(10), || async {
        (dead_letters(&app, &admin).await["dead_letters"]["notification.email"] == 1).then_some(())
    })
    .await;
    assert!(dead.is_some(), "the poison job was dead-lettered");

    // The cause goes away (the user's contact arrives); an admin replays.
    let to = unique_email();
    crate::helpers::contact(&app, user, &to, None).await;
    let plain = app.user().await;
    let refused = app
        .send(
            Method::POST,
            "/v1/notifications/admin/dead-letters/notification.email/replay",
            &plain.token,
            None,
        )
        .await;
    assert_eq!(refused.status(), 403);
    let unknown = app
        .send(
            Method::POST,
            "/v1/notifications/admin/dead-letters/not.ours/replay",
            &admin.token,
            None,
        )
        .await;
    assert_eq!(unknown.status(), 404);
    let replayed: Value = app
        .send(
            Method::POST,
            "/v1/notifications/admin/dead-letters/notification.email/replay",
            &admin.token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(replayed["replayed"], 1);
    let message = mail::wait_for(&app.env.stack, &to, Duration::from_secs(15)).await;
    assert!(message.is_some(), "the replayed job was delivered");
    assert_eq!(
        dead_letters(&app, &admin).await["dead_letters"]["notification.email"],
        0
    );
}

#[tokio::test]
async fn a_malformed_job_is_dead_lettered_without_a_send() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.publisher
        .publish_raw(dayone_broker::Outgoing {
            exchange: dayone_broker::topology::EVENTS_EXCHANGE,
            routing_key: "sms.transactional",
            message_id: "m-1",
            kind: "sms.transactional",
            body: br#"{"id":"6f2b8c1e-0d5a-4c1e-9d0f-111111111111","type":"sms.transactional","version":1,"occurred_at":"2026-11-25T00:00:00Z","payload":{"template":"no_such_template"}}"#,
            headers: &[],
        })
        .await
        .unwrap();
    let dead = eventually(Duration::from_secs(10), || async {
        (dead_letters(&app, &admin).await["dead_letters"]["sms.transactional"] == 1).then_some(())
    })
    .await;
    assert!(dead.is_some());
    assert!(app.fake.received("sms").is_empty());
}
