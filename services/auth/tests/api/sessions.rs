use reqwest::Method;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{PASSWORD, error_code, spawn_app};

#[tokio::test]
async fn logout_ends_the_current_session_only() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let phone = app.login(&user.email, PASSWORD).await;

    let response = app.post_as("/v1/auth/logout", &user.tokens.access).await;
    assert_eq!(response.status(), 204);

    assert_eq!(
        app.get_as("/v1/auth/me", &user.tokens.access)
            .await
            .status(),
        401
    );
    let refresh = app
        .post(
            "/v1/auth/refresh",
            serde_json::json!({"refresh_token": user.tokens.refresh}),
        )
        .await;
    assert_eq!(refresh.status(), 401);
    assert_eq!(
        app.get_as("/v1/auth/me", &phone.access).await.status(),
        200,
        "the other device stays logged in"
    );
}

#[tokio::test]
async fn logout_all_ends_every_session() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let other = app.login(&user.email, PASSWORD).await;
    assert_eq!(
        app.post_as("/v1/auth/logout-all", &user.tokens.access)
            .await
            .status(),
        204
    );
    assert_eq!(
        app.get_as("/v1/auth/me", &user.tokens.access)
            .await
            .status(),
        401
    );
    assert_eq!(app.get_as("/v1/auth/me", &other.access).await.status(), 401);
    // Logging in again works: logout is not a lock-out.
    app.login(&user.email, PASSWORD).await;
}

#[tokio::test]
async fn the_session_list_shows_each_device_and_marks_the_current_one() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let phone = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("user-agent", "DayoneApp/2.3 (iPhone; iOS 19)")
        .json(&serde_json::json!({"email": user.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let sessions: Vec<Value> = app
        .get_as("/v1/auth/sessions", &user.tokens.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let iphone = sessions
        .iter()
        .find(|s| s["user_agent"] == "DayoneApp/2.3 (iPhone; iOS 19)")
        .expect("the phone's session");
    assert_eq!(iphone["current"], false);
    for field in ["id", "created_at", "last_used_at", "expires_at"] {
        assert!(iphone[field].is_string(), "{field}");
    }
    assert!(phone["access_token"].is_string());
}

#[tokio::test]
async fn deleting_a_session_ends_it_and_someone_elses_is_a_404() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let laptop = app.login(&user.email, PASSWORD).await;
    let sessions: Vec<Value> = app
        .get_as("/v1/auth/sessions", &user.tokens.access)
        .await
        .json()
        .await
        .unwrap();
    let laptop_session = sessions.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let stranger = app.new_user().await;
    let theirs = app
        .send_as(
            Method::DELETE,
            &format!("/v1/auth/sessions/{laptop_session}"),
            &stranger.tokens.access,
            None,
        )
        .await;
    assert_eq!(error_code(theirs).await, (404, "not_found".into()));
    assert_eq!(
        app.get_as("/v1/auth/me", &laptop.access).await.status(),
        200
    );

    let mine = app
        .send_as(
            Method::DELETE,
            &format!("/v1/auth/sessions/{laptop_session}"),
            &user.tokens.access,
            None,
        )
        .await;
    assert_eq!(mine.status(), 204);
    assert_eq!(
        app.get_as("/v1/auth/me", &laptop.access).await.status(),
        401
    );
    assert_eq!(
        app.get_as("/v1/auth/me", &user.tokens.access)
            .await
            .status(),
        200
    );
    let malformed = app
        .send_as(
            Method::DELETE,
            "/v1/auth/sessions/not-a-uuid",
            &user.tokens.access,
            None,
        )
        .await;
    assert_eq!(malformed.status(), 400);
}

#[tokio::test]
async fn session_endpoints_need_a_token() {
    let app = spawn_app().await;
    for (method, path) in [
        (Method::POST, "/v1/auth/logout"),
        (Method::POST, "/v1/auth/logout-all"),
        (Method::GET, "/v1/auth/sessions"),
        (
            Method::DELETE,
            "/v1/auth/sessions/6d4b1d6e-4d8e-4c4f-9a59-0e1b4d1d8f11",
        ),
        (Method::GET, "/v1/auth/me"),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{method} {path}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
}

/// The Redis the test's auth service uses (its key prefix included).

#[tokio::test]
async fn a_revocation_is_recorded_in_redis_for_instances_that_start_later() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            user.tokens.access.split('.').nth(1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    app.post_as("/v1/auth/logout", &user.tokens.access).await;

    let redis = app.redis();
    let list = dayone_web::auth::RevocationList::default();
    assert_eq!(list.load(&redis).await.unwrap(), 1);
    assert!(list.is_revoked(&claims["sid"].as_str().unwrap().parse().unwrap()));
}

#[tokio::test]
async fn a_large_first_load_keeps_what_was_broadcast_before_it() {
    // More than one lock batch: the first load is built beside the list and
    // swapped in, and a revocation heard meanwhile must survive the swap.
    let app = spawn_app().await;
    let redis = app.redis();
    let until = chrono::Utc::now().timestamp() + 900;
    let recorded: Vec<(Uuid, i64)> = (0..5_000).map(|_| (Uuid::new_v4(), until)).collect();
    dayone_web::auth::record_revocations(&redis, &recorded)
        .await
        .unwrap();
    let list = dayone_web::auth::RevocationList::default();
    let heard = Uuid::new_v4();
    list.revoke(heard, until);
    assert_eq!(list.load(&redis).await.unwrap(), 5_000);
    assert_eq!(list.len(), 5_001);
    assert!(list.is_revoked(&heard));
    assert!(recorded.iter().all(|(session, _)| list.is_revoked(session)));
}
