//! `auth.cleanup`: what expired long enough ago goes, the rest stays.

use dayone_auth::cleanup::cleanup;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::helpers::{PASSWORD, spawn_app};

async fn count(app: &crate::helpers::AuthApp, sql: &str) -> i64 {
    app.db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap()
}

#[tokio::test]
async fn expired_sessions_tokens_and_codes_older_than_the_retention_are_deleted() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    // A second session that stays live.
    let live = app.login(&user.email, PASSWORD).await;
    // The first session (and its refresh token) expired 31 days ago.
    app.db
        .execute_unprepared(
            "UPDATE sessions SET expires_at = now() - interval '31 days' WHERE id = (SELECT min(id) FROM sessions); \
             UPDATE refresh_tokens SET expires_at = now() - interval '31 days' \
               WHERE session_id = (SELECT min(id) FROM sessions);",
        )
        .await
        .unwrap();
    let sessions_before = count(&app, "SELECT count(*) AS n FROM sessions").await;
    assert_eq!(sessions_before, 2);

    let counts = cleanup(&app.db, 30).await.unwrap();
    assert_eq!(counts["sessions"], 1, "{counts:?}");
    assert_eq!(counts["refresh_tokens"], 1, "{counts:?}");
    assert!(counts.contains_key("outbox_messages") && counts.contains_key("processed_messages"));
    assert_eq!(count(&app, "SELECT count(*) AS n FROM sessions").await, 1);

    // The live session still refreshes.
    let refreshed = app
        .post(
            "/v1/auth/refresh",
            serde_json::json!({"refresh_token": live.refresh}),
        )
        .await;
    assert_eq!(refreshed.status(), 200);

    // Nothing else is old enough: a second pass deletes nothing.
    let again = cleanup(&app.db, 30).await.unwrap();
    assert!(again.values().all(|n| n == 0), "{again:?}");
}
