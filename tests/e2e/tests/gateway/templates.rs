//! Templates managed at run time, through the gateway: an admin writes one
//! in two languages, each reader gets theirs, a published edit changes the
//! next message, and a job missing a variable is refused.

use std::time::Duration;

use dayone_test_support::TestStack;
use dayone_test_support::accounts::{PASSWORD, register_at};
use dayone_test_support::mail::wait_for_subject;
use reqwest::header::AUTHORIZATION;
use serde_json::{Value, json};

use super::{admin_token, gateway};

async fn call(method: reqwest::Method, path: &str, token: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .request(method, gateway(path))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn content(subject_en: &str) -> Value {
    json!({
        "en": {"email": {"subject": subject_en, "text": "Your table is booked for {{ time }}.", "html": "<p>Booked for {{ time }}.</p>"}},
        "pt": {"email": {"subject": "Mesa reservada para {{ time }}", "text": "A sua mesa está reservada para {{ time }}.", "html": "<p>Reservada para {{ time }}.</p>"}},
    })
}

/// A new account reading `locale`: its uuid and address.
async fn reader(locale: Option<&str>) -> (String, String) {
    let email = format!("reader-{}@example.com", uuid::Uuid::new_v4().simple());
    let mut body = json!({"email": email, "password": PASSWORD});
    if let Some(locale) = locale {
        body["locale"] = json!(locale);
    }
    let account = register_at(&reqwest::Client::new(), &gateway(""), body).await;
    (account["uuid"].as_str().unwrap().to_owned(), email)
}

#[tokio::test]
async fn an_admin_writes_a_template_in_two_languages_and_each_reader_gets_theirs() {
    let stack = TestStack::load();
    let admin = admin_token().await;
    let key = format!(
        "booking.{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let (status, created) = call(
        reqwest::Method::POST,
        "/v1/notifications/templates",
        &admin,
        json!({
            "key": key,
            "category": "transactional",
            "default_locale": "en",
            "variables": [{"name": "time", "sample": "19:30"}],
            "content": content("Table booked for {{ time }}"),
        }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let publish = format!("/v1/notifications/templates/{key}/publish");
    let (status, _) = call(
        reqwest::Method::POST,
        &publish,
        &admin,
        json!({"version": 1}),
    )
    .await;
    assert_eq!(status, 200);

    let (pt_user, pt_email) = reader(Some("pt")).await;
    let (en_user, en_email) = reader(None).await;
    let send = |user: &str, time: &str| json!({"channel": "email", "template": key, "recipient": {"user_uuid": user}, "variables": {"time": time}});
    for user in [&pt_user, &en_user] {
        let (status, body) = call(
            reqwest::Method::POST,
            "/v1/notifications",
            &admin,
            send(user, "20:00"),
        )
        .await;
        assert_eq!(status, 202, "{body}");
    }
    let wait = Duration::from_secs(20);
    assert!(
        wait_for_subject(&stack, &pt_email, "Mesa reservada para 20:00", wait)
            .await
            .is_some(),
        "Portuguese to the pt reader"
    );
    assert!(
        wait_for_subject(&stack, &en_email, "Table booked for 20:00", wait)
            .await
            .is_some(),
        "the default to the other"
    );

    // A job without the declared variable is refused.
    let (status, body) = call(
        reqwest::Method::POST,
        "/v1/notifications",
        &admin,
        json!({"channel": "email", "template": key, "recipient": {"user_uuid": en_user}, "variables": {}}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["details"]["fields"]["variables.time"][0],
        "is required"
    );

    // An edit, published: the next message is written with it.
    let (status, version) = call(
        reqwest::Method::PUT,
        &format!("/v1/notifications/templates/{key}"),
        &admin,
        json!({"default_locale": "en", "variables": [{"name": "time"}], "content": content("See you at {{ time }}")}),
    )
    .await;
    assert_eq!(status, 201, "{version}");
    call(
        reqwest::Method::POST,
        &publish,
        &admin,
        json!({"version": 2}),
    )
    .await;
    let (status, _) = call(
        reqwest::Method::POST,
        "/v1/notifications",
        &admin,
        send(&en_user, "21:15"),
    )
    .await;
    assert_eq!(status, 202);
    assert!(
        wait_for_subject(&stack, &en_email, "See you at 21:15", wait)
            .await
            .is_some(),
        "the edit is what the next message says"
    );
}

/// A message held in a digest window is queued: publishing an edit meanwhile
/// changes the next message, not that one.
#[tokio::test]
async fn an_edit_published_while_a_message_is_held_changes_only_the_next_one() {
    let stack = TestStack::load();
    let admin = admin_token().await;
    let key = format!(
        "digest.{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let wording = |subject: &str| json!({"en": {"email": {"subject": subject, "text": "{% for item in items %}{{ item.what }}\n{% endfor %}", "html": "<p>{{ count }}</p>"}}});
    let (status, body) = call(
        reqwest::Method::POST,
        "/v1/notifications/templates",
        &admin,
        json!({"key": key, "category": "promotional", "digest_secs": 2, "default_locale": "en",
            "variables": [{"name": "what"}], "content": wording("First wording")}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let publish = format!("/v1/notifications/templates/{key}/publish");
    call(
        reqwest::Method::POST,
        &publish,
        &admin,
        json!({"version": 1}),
    )
    .await;
    let (user, email) = reader(None).await;
    let send = |what: &str| json!({"channel": "email", "template": key, "recipient": {"user_uuid": user}, "variables": {"what": what}});
    let (status, held) = call(
        reqwest::Method::POST,
        "/v1/notifications",
        &admin,
        send("held"),
    )
    .await;
    assert_eq!(status, 202, "{held}");
    let held_path = format!("/v1/notifications/{}", held["uuid"].as_str().unwrap());
    let digested = dayone_test_support::eventually(Duration::from_secs(10), || async {
        let (_, status) = call(reqwest::Method::GET, &held_path, &admin, json!(null)).await;
        (status["status"] == "digested").then_some(())
    })
    .await;
    assert!(digested.is_some(), "held in the digest");

    let (status, _) = call(
        reqwest::Method::PUT,
        &format!("/v1/notifications/templates/{key}"),
        &admin,
        json!({"default_locale": "en", "variables": [{"name": "what"}], "content": wording("Second wording")}),
    )
    .await;
    assert_eq!(status, 201);
    call(
        reqwest::Method::POST,
        &publish,
        &admin,
        json!({"version": 2}),
    )
    .await;
    call(
        reqwest::Method::POST,
        "/v1/notifications",
        &admin,
        send("next"),
    )
    .await;

    let wait = Duration::from_secs(20);
    let first = wait_for_subject(&stack, &email, "First wording", wait)
        .await
        .expect("the held message, as accepted");
    assert_eq!(first["text"].as_str().unwrap().trim(), "held");
    let second = wait_for_subject(&stack, &email, "Second wording", wait)
        .await
        .expect("the next, reworded");
    assert_eq!(second["text"].as_str().unwrap().trim(), "next");
}
