//! Digests: a user's events of a template with a window go out as one
//! message listing them; transactional templates cannot have one.

use std::time::Duration;

use dayone_model::messages::notifications::{Channel, Recipient, TemplatedJob};
use dayone_test_support::{consistently, mail};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{NotifyApp, User, contact_in, spawn_app, unique_email};

fn activity(category: &str, digest_secs: i32) -> Value {
    json!({
        "key": "activity",
        "category": category,
        "digest_secs": digest_secs,
        "default_locale": "en",
        "variables": [{"name": "what"}],
        "content": {"en": {"email": {
            "subject": "{{ count }} new {% if count == 1 %}thing{% else %}things{% endif %}",
            "text": "{% for item in items %}- {{ item.what }}\n{% endfor %}",
            "html": "<ul>{% for item in items %}<li>{{ item.what }}</li>{% endfor %}</ul>",
        }}},
    })
}

async fn publish_template(app: &NotifyApp, admin: &User, body: Value) -> (u16, Value) {
    let response = app
        .send(
            Method::POST,
            "/v1/notifications/templates",
            &admin.token,
            Some(body),
        )
        .await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    if status == 201 {
        let published = app
            .send(
                Method::POST,
                "/v1/notifications/templates/activity/publish",
                &admin.token,
                Some(json!({"version": 1})),
            )
            .await;
        assert_eq!(published.status(), 200);
    }
    (status, body)
}

fn event(user: Uuid, what: &str) -> TemplatedJob {
    TemplatedJob {
        recipient: Recipient {
            user_uuid: Some(user),
            ..Default::default()
        },
        channel: Channel::Email,
        template: "activity".into(),
        variables: serde_json::Map::from_iter([("what".into(), json!(what))]),
        locale: None,
        version: None,
        digest: None,
    }
}

#[tokio::test]
async fn twenty_events_inside_the_window_arrive_as_one_email_listing_twenty_items() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (status, body) = publish_template(&app, &admin, activity("promotional", 3)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["digest_secs"], 3);
    let (user, to) = (Uuid::new_v4(), unique_email());
    contact_in(&app, user, &to, None, None).await;

    let mut sent = Vec::new();
    for i in 1..=20 {
        sent.push(app.publish(event(user, &format!("event {i:02}"))).await);
    }
    let first = sent[0].id;
    let held = app
        .status_when(first, &admin.token, |s| s["status"] == "digested")
        .await;
    assert_eq!(held["template"], "activity");
    let message = mail::wait_for(&app.env.stack, &to, Duration::from_secs(20))
        .await
        .expect("the digest arrived");
    assert_eq!(message["subject"], "20 new things");
    let text = message["text"].as_str().unwrap();
    let listed: Vec<&str> = text.lines().collect();
    assert_eq!(listed.len(), 20, "{text}");
    for i in 1..=20 {
        assert!(text.contains(&format!("- event {i:02}")), "{text}");
    }
    // One message: nothing else comes for the twenty.
    let count = || async {
        mail::all(&app.env.stack)
            .await
            .unwrap()
            .iter()
            .filter(|m| m["to"][0]["address"] == to.as_str())
            .count()
    };
    assert!(consistently(Duration::from_secs(3), || async { count().await == 1 }).await);
    for envelope in &sent {
        let status = app.status_when(envelope.id, &admin.token, |_| true).await;
        assert_eq!(status["status"], "digested");
        assert_eq!(status["deliveries"], json!([]));
    }

    // The next event opens a new window.
    app.publish(event(user, "later")).await;
    let again = dayone_test_support::eventually(Duration::from_secs(20), || async {
        (count().await == 2).then_some(())
    })
    .await;
    assert!(again.is_some(), "a second digest after the first closed");
}

#[tokio::test]
async fn transactional_templates_are_never_digested() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (status, body) = publish_template(&app, &admin, activity("transactional", 60)).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["details"]["fields"]["digest_secs"][0]
            .as_str()
            .unwrap()
            .contains("never digested")
    );
    let (status, body) = publish_template(&app, &admin, activity("promotional", 0)).await;
    assert_eq!(status, 422, "{body}");

    // Nor can a caller hand in a digest of its own.
    let (status, _) = publish_template(&app, &admin, activity("promotional", 60)).await;
    assert_eq!(status, 201);
    let forged = app
        .send(
            Method::POST,
            "/v1/notifications",
            &admin.token,
            Some(json!({"channel": "email", "template": "activity", "recipient": {"email": unique_email()}, "variables": {"what": "x"}, "digest": [{"what": "y"}]})),
        )
        .await;
    assert_eq!(forged.status(), 422);
}

#[tokio::test]
async fn a_publish_inside_the_window_changes_the_next_digest_and_not_the_one_gathering() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (status, _) = publish_template(&app, &admin, activity("promotional", 2)).await;
    assert_eq!(status, 201);
    let (user, to) = (Uuid::new_v4(), unique_email());
    contact_in(&app, user, &to, None, None).await;
    let held = app.publish(event(user, "before")).await;
    app.status_when(held.id, &admin.token, |s| s["status"] == "digested")
        .await;

    let mut edit = activity("promotional", 2);
    let edit = edit.as_object_mut().unwrap();
    for field in ["key", "category", "digest_secs"] {
        edit.remove(field);
    }
    edit["content"]["en"]["email"]["subject"] = json!("Reworded: {{ count }}");
    let saved = app
        .send(
            Method::PUT,
            "/v1/notifications/templates/activity",
            &admin.token,
            Some(Value::Object(edit.clone())),
        )
        .await;
    assert_eq!(saved.status(), 201);
    let published = app
        .send(
            Method::POST,
            "/v1/notifications/templates/activity/publish",
            &admin.token,
            Some(json!({"version": 2})),
        )
        .await;
    assert_eq!(published.status(), 200);
    app.publish(event(user, "after")).await;

    let both = dayone_test_support::eventually(Duration::from_secs(20), || async {
        let mut subjects: Vec<String> = mail::all(&app.env.stack)
            .await
            .unwrap()
            .iter()
            .filter(|m| m["to"][0]["address"] == to.as_str())
            .map(|m| {
                format!(
                    "{} / {}",
                    m["subject"].as_str().unwrap(),
                    m["text"].as_str().unwrap().trim()
                )
            })
            .collect();
        subjects.sort();
        (subjects.len() == 2).then_some(subjects)
    })
    .await
    .expect("two digests");
    assert_eq!(both, ["1 new thing / - before", "Reworded: 1 / - after"]);
}
