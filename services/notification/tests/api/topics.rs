//! Preferences per topic and channel: a topic's unsubscribe link turns off
//! that topic on that channel only, and transactional messages ignore it.

use std::time::Duration;

use dayone_test_support::mail;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{NotifyApp, User, spawn_app};

async fn template(app: &NotifyApp, admin: &User, key: &str, category: &str) {
    let body = json!({
        "key": key,
        "category": category,
        "topic": "deals",
        "default_locale": "en",
        "variables": [{"name": "n"}],
        "content": {"en": {
            "email": {"subject": "{{ n }}", "text": "Deal {{ n }}", "html": "<p>Deal {{ n }}</p>"},
            "in_app": {"title": "Deal {{ n }}", "body": "."},
        }},
    });
    let created = app
        .send(
            Method::POST,
            "/v1/notifications/templates",
            &admin.token,
            Some(body),
        )
        .await;
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
    let path = format!("/v1/notifications/templates/{key}/publish");
    let published = app
        .send(
            Method::POST,
            &path,
            &admin.token,
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(published.status(), 200);
}

async fn send(
    app: &NotifyApp,
    admin: &User,
    user: &User,
    key: &str,
    channel: &str,
    n: &str,
) -> String {
    let body = json!({"channel": channel, "template": key, "recipient": {"user_uuid": user.uuid}, "variables": {"n": n}});
    let accepted: Value = app
        .send(Method::POST, "/v1/notifications", &admin.token, Some(body))
        .await
        .json()
        .await
        .unwrap();
    accepted["uuid"].as_str().unwrap().to_owned()
}

async fn read(app: &NotifyApp, user: &User, path: &str) -> Value {
    let response = app.send(Method::GET, path, &user.token, None).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

async fn status(app: &NotifyApp, admin: &User, id: &str) -> String {
    let value = app
        .status_when(id.parse().unwrap(), &admin.token, |s| {
            ["sent", "suppressed", "failed"].contains(&s["status"].as_str().unwrap_or_default())
        })
        .await;
    value["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_topics_unsubscribe_link_turns_off_that_topic_on_that_channel_only() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.user().await;
    template(&app, &admin, "deals.weekly", "promotional").await;
    template(&app, &admin, "deals.receipt", "transactional").await;

    let topics = read(&app, &user, "/v1/notifications/preferences/topics").await;
    assert_eq!(
        topics,
        json!([{"topic": "deals", "email": true, "sms": true, "push": true, "in_app": true}])
    );

    let first = send(&app, &admin, &user, "deals.weekly", "email", "1").await;
    assert_eq!(status(&app, &admin, &first).await, "sent");
    let message = mail::wait_for(&app.env.stack, &user.email, Duration::from_secs(15))
        .await
        .unwrap();
    let link = message["headers"]["list-unsubscribe"]
        .as_str()
        .unwrap()
        .trim_matches(['<', '>'])
        .to_owned();
    let path = &link[link.find("/v1/").unwrap()..];
    let answer: Value = app
        .client
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["message"],
        "you will no longer get deals messages by email"
    );

    let topics = read(&app, &user, "/v1/notifications/preferences/topics").await;
    assert_eq!(topics[0]["email"], false);
    assert_eq!(topics[0]["in_app"], true);
    // Promotional email in general is still on.
    let prefs = read(&app, &user, "/v1/notifications/preferences").await;
    assert_eq!(prefs["email"]["promotional"], true);

    let blocked = send(&app, &admin, &user, "deals.weekly", "email", "2").await;
    assert_eq!(status(&app, &admin, &blocked).await, "suppressed");
    let in_app = send(&app, &admin, &user, "deals.weekly", "in_app", "3").await;
    assert_eq!(
        status(&app, &admin, &in_app).await,
        "sent",
        "the inbox was not turned off"
    );
    let receipt = send(&app, &admin, &user, "deals.receipt", "email", "4").await;
    assert_eq!(
        status(&app, &admin, &receipt).await,
        "sent",
        "transactional messages ignore topics"
    );

    // Turned off in the app too, through the API.
    let changed = app
        .send(
            Method::PUT,
            "/v1/notifications/preferences/topics/deals",
            &user.token,
            Some(json!({"in_app": false})),
        )
        .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(changed.json::<Value>().await.unwrap()["in_app"], false);
    let quiet = send(&app, &admin, &user, "deals.weekly", "in_app", "5").await;
    assert_eq!(status(&app, &admin, &quiet).await, "suppressed");

    let unknown = app
        .send(
            Method::PUT,
            "/v1/notifications/preferences/topics/no-such",
            &user.token,
            Some(json!({"email": false})),
        )
        .await;
    assert_eq!(unknown.status(), 404);
}
