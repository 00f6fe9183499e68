//! The support case: an admin finds someone's notifications by email, phone
//! or user id, with every attempt, and sends one again.

use std::time::Duration;

use dayone_test_support::{eventually, mail};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{spawn_app, welcome_to};

#[tokio::test]
async fn an_admin_finds_a_users_emails_with_their_attempts_and_sends_one_again() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let job = app.publish(welcome_to(user.uuid)).await;
    app.status_when(job.id, &admin.token, |s| s["status"] == "sent")
        .await;

    let lookup = |q: String| {
        let app = &app;
        let token = admin.token.clone();
        async move {
            let response = app
                .send(
                    Method::GET,
                    &format!("/v1/notifications/admin/lookup?q={}", urlencode(&q)),
                    &token,
                    None,
                )
                .await;
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    for q in [
        user.email.clone(),
        user.phone.clone(),
        user.uuid.to_string(),
    ] {
        let (status, found) = lookup(q.clone()).await;
        assert_eq!(status, 200, "{q}: {found}");
        assert_eq!(found["contact"]["user_uuid"], user.uuid.to_string(), "{q}");
        let sent = &found["notifications"][0];
        assert_eq!(sent["uuid"], job.id.to_string(), "{q}");
        assert_eq!(sent["template"], "welcome");
        let delivery = &sent["deliveries"][0];
        assert_eq!(delivery["address"], user.email.as_str());
        assert_eq!(delivery["history"][0]["outcome"], "sent", "{delivery}");
        assert!(delivery["history"][0]["at"].is_string());
    }
    // Nobody by that address: no contact, nothing sent.
    let (_, nobody) = lookup("nobody-at-all@example.com".into()).await;
    assert!(nobody["contact"].is_null());
    assert_eq!(nobody["notifications"], serde_json::json!([]));

    // Sent again: a new notification with the same job, delivered too.
    let again = app
        .send(
            Method::POST,
            &format!("/v1/notifications/{}/resend", job.id),
            &admin.token,
            None,
        )
        .await;
    assert_eq!(again.status(), 202);
    let again: Value = again.json().await.unwrap();
    let new_id: uuid::Uuid = again["uuid"].as_str().unwrap().parse().unwrap();
    assert_ne!(new_id, job.id);
    app.status_when(new_id, &admin.token, |s| s["status"] == "sent")
        .await;
    let two = eventually(Duration::from_secs(15), || async {
        let mine: Vec<Value> = mail::all(&app.env.stack)
            .await
            .ok()?
            .into_iter()
            .filter(|m| m["to"][0]["address"] == user.email.as_str())
            .collect();
        (mine.len() == 2).then_some(mine)
    })
    .await
    .expect("the welcome email twice");
    assert_eq!(two[0]["subject"], two[1]["subject"]);
    let (_, found) = lookup(user.email.clone()).await;
    assert_eq!(found["notifications"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn only_admins_look_up_or_resend_and_bad_queries_are_422() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let as_user = app
        .send(
            Method::GET,
            &format!("/v1/notifications/admin/lookup?q={}", user.uuid),
            &user.token,
            None,
        )
        .await;
    assert_eq!(as_user.status(), 403);
    let resend = app
        .send(
            Method::POST,
            &format!("/v1/notifications/{}/resend", uuid::Uuid::new_v4()),
            &user.token,
            None,
        )
        .await;
    assert_eq!(resend.status(), 403);
    let missing = app
        .send(
            Method::POST,
            &format!("/v1/notifications/{}/resend", uuid::Uuid::new_v4()),
            &admin.token,
            None,
        )
        .await;
    assert_eq!(missing.status(), 404);
    for path in [
        "/v1/notifications/admin/lookup?q=",
        "/v1/notifications/admin/lookup?q=a@b.c&limit=0",
    ] {
        let response = app.send(Method::GET, path, &admin.token, None).await;
        assert_eq!(response.status(), 422, "{path}");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
