use std::time::Duration;

use dayone_model::messages::notifications::{
    Recipient, TransactionalSms, TransactionalSmsTemplate,
};
use dayone_test_support::{consistently, eventually, mail};
use reqwest::Method;
use sea_orm::ConnectionTrait;
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
    let sends = || {
        app.fake
            .received("sms")
            .into_iter()
            .filter(|r| r.body["To"] == user.phone.as_str())
            .count()
    };
    let once = consistently(Duration::from_millis(1500), || async { sends() == 1 }).await;
    assert!(once, "{} sends", sends());
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

    // The provider is back; replaying the dead letter sends it, once.
    assert_eq!(replay(&app, &admin, "sms.transactional").await, 1);
    let status = app
        .status_when(envelope.id, &user.token, |s| s["status"] == "sent")
        .await;
    assert_eq!(status["deliveries"][0]["attempts"], 4);
    let to_user = |r: &dayone_fakes::Received| r.body["To"] == user.phone.as_str();
    let requests = app.received("sms", to_user, 4).await;
    assert_eq!(
        requests.iter().map(|r| r.status).collect::<Vec<_>>(),
        [503, 503, 503, 201]
    );
    // Every try carried the same provider idempotency key.
    let keys: std::collections::BTreeSet<_> = requests
        .iter()
        .map(|r| r.headers["idempotency-key"].to_string())
        .collect();
    assert_eq!(keys.len(), 1, "{keys:?}");

    // A replayed copy of a job that was sent sends nothing again.
    dead_letter_copy(&app, "sms.transactional", &envelope).await;
    assert_eq!(replay(&app, &admin, "sms.transactional").await, 1);
    let settled = eventually(Duration::from_secs(10), || async {
        (dead_letters(&app, &admin).await["dead_letters"]["sms.transactional"] == 0).then_some(())
    })
    .await;
    assert!(settled.is_some());
    let sends = || app.fake.received("sms").into_iter().filter(to_user).count();
    let unchanged = consistently(Duration::from_millis(1500), || async { sends() == 4 }).await;
    assert!(
        unchanged,
        "a sent delivery was sent again: {} sends",
        sends()
    );
}

async fn replay(app: &NotifyApp, admin: &User, queue: &str) -> u64 {
    let body: Value = app
        .send(
            Method::POST,
            &format!("/v1/notifications/admin/dead-letters/{queue}/replay"),
            &admin.token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    body["replayed"].as_u64().unwrap()
}

/// Puts a copy of `envelope` straight into `queue`'s dead-letter queue.
async fn dead_letter_copy<P: dayone_model::Contract>(
    app: &NotifyApp,
    queue: &str,
    envelope: &dayone_model::Envelope<P>,
) {
    let body = serde_json::to_vec(envelope).unwrap();
    app.publisher
        .publish_raw(dayone_broker::Outgoing {
            exchange: "",
            routing_key: &dayone_broker::topology::dead_letter_queue(queue),
            message_id: &envelope.id.to_string(),
            kind: P::TYPE,
            body: &body,
            headers: &[],
        })
        .await
        .unwrap();
}

/// Copies of one job handled at the same moment (an outbox republish, a
/// redelivery racing a retry) call the provider once: the delivery is
/// claimed before the call. Many rounds, many jobs, several copies each.
#[tokio::test]
async fn copies_of_one_job_handled_at_once_call_the_provider_once() {
    let app = spawn_app().await;
    let mut phones = Vec::new();
    let mut ids = Vec::new();
    for _round in 0..8 {
        let jobs: Vec<_> = (0..10)
            .map(|_| {
                let phone = crate::helpers::unique_phone();
                phones.push(phone.clone());
                dayone_model::Envelope::new(TransactionalSms {
                    recipient: Recipient {
                        phone: Some(phone),
                        ..Default::default()
                    },
                    template: TransactionalSmsTemplate::LoginCode {
                        code: "120034".into(),
                        expires_in_minutes: 5,
                    },
                })
            })
            .collect();
        // Four copies of each, published together: they reach the consumer
        // side by side and are handled concurrently.
        let copies = jobs
            .iter()
            .flat_map(|job| std::iter::repeat_n(job, 4))
            .map(|job| app.republish(job));
        futures_util::future::join_all(copies).await;
        ids.extend(jobs.iter().map(|j| j.id));
    }
    let all_sent = eventually(Duration::from_secs(60), || async {
        let row = app
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT count(*) FILTER (WHERE status = 'sent') AS sent, count(*) AS total FROM notifications",
            ))
            .await
            .ok()??;
        let sent: i64 = row.try_get("", "sent").ok()?;
        (sent == ids.len() as i64).then_some(())
    })
    .await;
    assert!(all_sent.is_some(), "every job ended sent");
    // Late copies (deferred while another held the claim) send nothing more.
    let once_each = || {
        let received = app.fake.received("sms");
        phones.iter().all(|phone| {
            received
                .iter()
                .filter(|r| r.body["To"] == phone.as_str())
                .count()
                == 1
        })
    };
    let held = consistently(Duration::from_secs(2), || async { once_each() }).await;
    assert!(held, "a phone did not get exactly one provider call");
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*) AS n FROM delivery_attempts",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), ids.len() as i64);
}

#[tokio::test]
async fn an_idempotency_key_makes_a_retried_post_queue_nothing_twice() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let phone = crate::helpers::unique_phone();
    let body = serde_json::json!({
        "channel": "sms",
        "category": "transactional",
        "recipient": {"phone": phone},
        "template": "login_code",
        "code": "120034",
        "expires_in_minutes": 5,
    });
    let post = |body: Value, key: &'static str| {
        app.client
            .post(app.url("/v1/notifications"))
            .bearer_auth(&admin.token)
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let first = post(body.clone(), "retry-1").await.unwrap();
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    let again = post(body.clone(), "retry-1").await.unwrap();
    assert_eq!(again.status(), 202);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["uuid"], first["uuid"]);

    let mut other = body.clone();
    other["code"] = "999999".into();
    let reused = post(other, "retry-1").await.unwrap();
    assert_eq!(reused.status(), 422);
    let reused: Value = reused.json().await.unwrap();
    assert_eq!(reused["code"], "idempotency_key_reused");

    app.received("sms", |r| r.body["To"] == phone.as_str(), 1)
        .await;
    let calls = || {
        app.fake
            .received("sms")
            .into_iter()
            .filter(|r| r.body["To"] == phone.as_str())
            .count()
    };
    let once = consistently(Duration::from_millis(1500), || async { calls() == 1 }).await;
    assert!(once, "{} provider calls", calls());
}

#[tokio::test]
async fn a_poison_job_lands_in_the_dead_letter_queue_and_replays_once_fixed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // No address in the job and no contact for the user: it cannot be sent.
    let user = uuid::Uuid::new_v4();
    app.publish(crate::helpers::welcome_to(user)).await;
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
    assert_eq!(replay(&app, &admin, "notification.email").await, 1);
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
