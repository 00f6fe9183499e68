use serde_json::{Value, json};

use crate::helpers::{error_code, spawn_app};

#[tokio::test]
async fn the_link_from_registration_verifies_the_email_once() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let token = app.emailed_token(&user.email, "verify_email").await;

    let response = app
        .post("/v1/auth/email/verify", json!({"token": token}))
        .await;
    assert_eq!(response.status(), 204);
    let me: Value = app
        .get_as("/v1/auth/me", &user.tokens.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email_verified"], true);

    let again = app
        .post("/v1/auth/email/verify", json!({"token": token}))
        .await;
    assert_eq!(
        error_code(again).await,
        (400, "invalid_or_expired_token".into())
    );
}

#[tokio::test]
async fn a_reset_token_is_not_a_verification_token() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    app.post("/v1/auth/password/forgot", json!({"email": user.email}))
        .await;
    let reset_token = app.emailed_token(&user.email, "password_reset").await;
    let response = app
        .post("/v1/auth/email/verify", json!({"token": reset_token}))
        .await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn the_verification_email_is_sent_again_with_a_new_link_a_few_times_per_hour() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let first = app.emailed_token(&user.email, "verify_email").await;
    let limit = app
        .settings()
        .common
        .throttles
        .limit("email_verification_per_account")
        .max;
    let before = app.outbox_count("notification.email").await;
    for _ in 0..limit {
        let again = app
            .post_as("/v1/auth/email/resend", &user.tokens.access)
            .await;
        assert_eq!(again.status(), 202);
    }
    let refused = app
        .post_as("/v1/auth/email/resend", &user.tokens.access)
        .await;
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(error_code(refused).await, (429, "rate_limited".into()));
    assert_eq!(
        app.outbox_count("notification.email").await - before,
        limit as i64,
        "one email per accepted request, none for the refused one"
    );

    // The first link no longer works; the newest does, once.
    let stale = app
        .post("/v1/auth/email/verify", json!({"token": first}))
        .await;
    assert_eq!(stale.status(), 400);
    let newest = dayone_test_support::eventually(std::time::Duration::from_secs(10), || async {
        let links: Vec<String> = app
            .jobs("notification.email")
            .await
            .into_iter()
            .filter(|j| {
                j["payload"]["recipient"]["email"] == user.email.as_str()
                    && j["payload"]["template"] == "verify_email"
            })
            .map(|j| j["payload"]["link"].as_str().unwrap().to_owned())
            .collect();
        // The registration's link and one per accepted request.
        (links.len() as u64 == limit + 1)
            .then(|| links.last().cloned())
            .flatten()
    })
    .await
    .expect("every verification email relayed");
    let token = newest.split("token=").nth(1).unwrap();
    let verified = app
        .post("/v1/auth/email/verify", json!({"token": token}))
        .await;
    assert_eq!(verified.status(), 204);
    // Verified: nothing more to send.
    let done = app
        .post_as("/v1/auth/email/resend", &user.tokens.access)
        .await;
    assert_eq!(error_code(done).await, (409, "conflict".into()));
}
