use std::time::Duration;

use dayone_model::messages::notifications::{EmailJob, EmailTemplate, Recipient};
use dayone_test_support::mail;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{spawn_app, unique_email};

#[tokio::test]
async fn a_password_reset_email_arrives_with_text_and_html_parts() {
    let app = spawn_app().await;
    let to = unique_email();
    app.publish(EmailJob {
        recipient: Recipient {
            email: Some(to.clone()),
            name: Some("Ada".into()),
            ..Default::default()
        },
        template: EmailTemplate::PasswordReset {
            link: "https://app.example.com/reset-password?token=abc123".into(),
            expires_in_minutes: 30,
        },
    })
    .await;
    let message = mail::wait_for(&app.env.stack, &to, Duration::from_secs(15))
        .await
        .expect("delivered to the SMTP catcher");
    assert_eq!(message["subject"], "Reset your password");
    let text = message["text"].as_str().unwrap();
    assert!(
        text.starts_with("Hello,")
            && !text.contains("Ada")
            && text.contains("https://app.example.com/reset-password?token=abc123")
            && text.contains("30 minutes"),
        "{text}"
    );
    let html = message["html"].as_str().unwrap();
    assert!(
        html.contains("href=\"https://app.example.com/reset-password?token=abc123\""),
        "{html}"
    );
    assert!(
        message["from"][0]["address"]
            .as_str()
            .unwrap()
            .starts_with("no-reply@")
    );
    assert!(
        message["headers"].get("list-unsubscribe").is_none(),
        "transactional mail has no unsubscribe header"
    );
}

#[tokio::test]
async fn an_email_job_without_an_address_uses_the_contact_projection() {
    let app = spawn_app().await;
    let user = uuid::Uuid::new_v4();
    let to = unique_email();
    crate::helpers::contact(&app, user, &to, None).await;
    app.publish(crate::helpers::welcome_to(user)).await;
    let message = mail::wait_for(&app.env.stack, &to, Duration::from_secs(15))
        .await
        .expect("delivered");
    assert_eq!(message["subject"], "Welcome to Dayone");
}

#[tokio::test]
async fn a_job_that_arrives_before_its_users_contact_waits_for_it() {
    // The user's `user.registered` comes on another queue and can be
    // projected a little after a job naming them: the job is tried again
    // rather than dead-lettered as having no address.
    let app = spawn_app().await;
    let user = uuid::Uuid::new_v4();
    let to = unique_email();
    app.publish(crate::helpers::welcome_to(user)).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    crate::helpers::contact(&app, user, &to, None).await;
    let message = mail::wait_for(&app.env.stack, &to, Duration::from_secs(30))
        .await
        .expect("delivered once the contact was there");
    assert_eq!(message["subject"], "Welcome to Dayone");
}

#[tokio::test]
async fn promotional_email_carries_one_click_unsubscribe_headers_that_work() {
    let app = spawn_app().await;
    let user = app.user().await;
    let weekly = || EmailJob {
        recipient: Recipient {
            user_uuid: Some(user.uuid),
            email: Some(user.email.clone()),
            ..Default::default()
        },
        template: EmailTemplate::WeeklyRecommendations {
            products: json!([{"name": "Espresso cup", "price": "€12.50"}]),
        },
    };
    let first = app.publish(weekly()).await;
    let message = mail::wait_for_subject(
        &app.env.stack,
        &user.email,
        "Picked for you this week",
        Duration::from_secs(15),
    )
    .await
    .expect("the promotional email");
    let header = message["headers"]["list-unsubscribe"].as_str().unwrap();
    assert_eq!(
        message["headers"]["list-unsubscribe-post"],
        "List-Unsubscribe=One-Click"
    );
    assert!(message["text"].as_str().unwrap().contains("Espresso cup"));
    let url = header.trim_start_matches('<').trim_end_matches('>');
    assert!(
        url.contains("/v1/notifications/unsubscribe?token="),
        "{url}"
    );

    // The mail client's one-click POST, against the service directly.
    let path = &url[url.find("/v1/notifications/unsubscribe").unwrap()..];
    let response = app.client.post(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let prefs: Value = app
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
    assert_eq!(prefs["email"]["promotional"], false);

    // The next promotional email is suppressed; the first shows as sent.
    let second = app.publish(weekly()).await;
    let status = app
        .status_when(second.id, &user.token, |s| s["status"] == "suppressed")
        .await;
    assert_eq!(status["deliveries"][0]["status"], "suppressed");
    let sent = app
        .status_when(first.id, &user.token, |s| s["status"] == "sent")
        .await;
    assert_eq!(sent["deliveries"][0]["history"][0]["outcome"], "sent");

    let forged = app
        .client
        .post(app.url("/v1/notifications/unsubscribe?token=bm9wZQ.bm9wZQ"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
}
