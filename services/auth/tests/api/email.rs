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
