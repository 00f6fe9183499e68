use std::time::Duration;

use serde_json::json;

use crate::helpers::{AuthApp, PASSWORD, error_code, spawn_app, spawn_app_with, unique_email};

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn forgot(app: &AuthApp, email: &str) -> reqwest::Response {
    app.post("/v1/auth/password/forgot", json!({"email": email}))
        .await
}

async fn reset(app: &AuthApp, token: &str, password: &str) -> reqwest::Response {
    app.post(
        "/v1/auth/password/reset",
        json!({"token": token, "new_password": password}),
    )
    .await
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_and_ends_every_session() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    assert_eq!(forgot(&app, &user.email).await.status(), 202);
    let job = app
        .job("notification.email", |j| {
            j["payload"]["template"] == "password_reset"
        })
        .await;
    assert_eq!(job["payload"]["expires_in_minutes"], 30);
    let token = app.emailed_token(&user.email, "password_reset").await;

    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status(), 204);

    assert_eq!(
        app.get_as("/v1/auth/me", &user.tokens.access)
            .await
            .status(),
        401,
        "sessions revoked"
    );
    assert_eq!(
        app.login_response(&user.email, PASSWORD).await.status(),
        401,
        "old password"
    );
    app.login(&user.email, NEW_PASSWORD).await;
    // Single use.
    assert_eq!(
        error_code(reset(&app, &token, "yet another passphrase").await).await,
        (400, "invalid_or_expired_token".into())
    );
}

#[tokio::test]
async fn forgot_answers_the_same_for_an_unknown_email_and_sends_nothing() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let unknown = unique_email();
    let a = forgot(&app, &unknown).await;
    let b = forgot(&app, &user.email).await;
    assert_eq!(a.status(), 202);
    assert_eq!(a.text().await.unwrap(), b.text().await.unwrap());
    app.emailed_token(&user.email, "password_reset").await;
    let to_unknown = app
        .jobs("notification.email")
        .await
        .into_iter()
        .filter(|j| j["payload"]["recipient"]["email"] == unknown.as_str())
        .count();
    assert_eq!(to_unknown, 0);
}

#[tokio::test]
async fn a_bad_token_is_400_and_a_weak_password_is_422() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    assert_eq!(
        error_code(reset(&app, "made-up-token", NEW_PASSWORD).await).await,
        (400, "invalid_or_expired_token".into())
    );
    forgot(&app, &user.email).await;
    let token = app.emailed_token(&user.email, "password_reset").await;
    assert_eq!(
        error_code(reset(&app, &token, "short").await).await,
        (422, "validation_failed".into())
    );
    assert_eq!(
        error_code(reset(&app, &token, "password1").await).await,
        (422, "validation_failed".into())
    );
    // The refused attempts did not use the token up.
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status(), 204);
    assert_eq!(
        error_code(forgot(&app, "nope").await).await,
        (422, "validation_failed".into())
    );
}

#[tokio::test]
async fn an_expired_reset_link_is_refused() {
    let app = spawn_app_with(&[("APP_AUTH__PASSWORD_RESET_TTL_SECS", "1")]).await;
    let user = app.new_user().await;
    forgot(&app, &user.email).await;
    let token = app.emailed_token(&user.email, "password_reset").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status(), 400);
}

#[tokio::test]
async fn reset_emails_are_limited_per_address() {
    let app = spawn_app().await;
    let email = unique_email();
    for _ in 0..5 {
        assert_eq!(forgot(&app, &email).await.status(), 202);
    }
    assert_eq!(forgot(&app, &email).await.status(), 429);
}
