use serde_json::{Value, json};

use crate::helpers::{AuthApp, error_code, spawn_app};

async fn refresh(app: &AuthApp, token: &str) -> reqwest::Response {
    app.post("/v1/auth/refresh", json!({"refresh_token": token}))
        .await
}

#[tokio::test]
async fn a_refresh_rotates_the_refresh_token_and_issues_a_new_access_token() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let response = refresh(&app, &user.tokens.refresh).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let next = AuthApp::tokens(&body);
    assert_ne!(next.refresh, user.tokens.refresh);
    assert_ne!(next.access, user.tokens.access);
    assert_eq!(app.get_as("/v1/auth/me", &next.access).await.status(), 200);
    // The new refresh token works in turn.
    assert_eq!(refresh(&app, &next.refresh).await.status(), 200);
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_session() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let rotated: Value = refresh(&app, &user.tokens.refresh)
        .await
        .json()
        .await
        .unwrap();
    let current = AuthApp::tokens(&rotated);

    // Someone replays the old token (stolen, or a buggy client).
    let replay = refresh(&app, &user.tokens.refresh).await;
    assert_eq!(
        error_code(replay).await,
        (401, "refresh_token_reused".into())
    );

    // The legitimate holder's newer tokens die with the family.
    assert_eq!(
        error_code(refresh(&app, &current.refresh).await).await.0,
        401
    );
    assert_eq!(
        app.get_as("/v1/auth/me", &current.access).await.status(),
        401
    );
    assert_eq!(
        app.get_as("/v1/auth/me", &user.tokens.access)
            .await
            .status(),
        401
    );
    // The event for the other services was written with the revocation.
    assert_eq!(app.outbox_count("session.revoked").await, 1);
}

#[tokio::test]
async fn an_unknown_or_empty_refresh_token_is_a_401() {
    let app = spawn_app().await;
    for token in [
        "",
        "not-a-token",
        "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29y",
    ] {
        assert_eq!(
            error_code(refresh(&app, token).await).await,
            (401, "invalid_token".into()),
            "{token:?}"
        );
    }
    let missing = app.post("/v1/auth/refresh", json!({})).await;
    assert_eq!(missing.status(), 422);
}

#[tokio::test]
async fn another_session_is_untouched_by_a_reuse_in_this_one() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let other_device = app.login(&user.email, crate::helpers::PASSWORD).await;
    refresh(&app, &user.tokens.refresh).await;
    refresh(&app, &user.tokens.refresh).await; // reuse
    assert_eq!(
        app.get_as("/v1/auth/me", &other_device.access)
            .await
            .status(),
        200
    );
    assert_eq!(refresh(&app, &other_device.refresh).await.status(), 200);
}
