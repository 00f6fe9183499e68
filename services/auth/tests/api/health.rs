use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_and_ready_answer_under_the_public_prefix() {
    let app = spawn_app().await;
    let health: Value = app.get("/v1/auth/health").await.json().await.unwrap();
    assert_eq!(health["service"], "auth");
    let ready = app.get("/v1/auth/ready").await;
    assert_eq!(ready.status(), 200);
}

/// The public answers name neither the instance nor the dependencies; the
/// service's own root paths (probes, operators) do.
#[tokio::test]
async fn only_the_internal_paths_say_what_the_service_runs_on() {
    let app = spawn_app().await;
    let public: Value = app.get("/v1/auth/ready").await.json().await.unwrap();
    assert_eq!(public, serde_json::json!({"status": "ready"}));
    let health: Value = app.get("/v1/auth/health").await.json().await.unwrap();
    assert!(health.get("instance").is_none(), "{health}");
    let internal: Value = app.get("/ready").await.json().await.unwrap();
    assert_eq!(internal["checks"]["postgres"]["status"], "up", "{internal}");
}

#[tokio::test]
async fn every_answer_is_nosniff_and_not_stored_by_caches_unless_it_says_so() {
    let app = spawn_app().await;
    for path in ["/v1/auth/health", "/v1/auth/me", "/v1/auth/nowhere"] {
        let response = app.get(path).await;
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{path}"
        );
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
    let jwks = app.get("/v1/auth/.well-known/jwks.json").await;
    assert_eq!(jwks.headers()["cache-control"], "public, max-age=300");
}

#[tokio::test]
async fn the_instance_is_named_only_where_the_settings_allow_it() {
    let quiet = crate::helpers::spawn_app_with(&[
        ("APP_APPLICATION__EXPOSE_INSTANCE", "false"),
        ("APP_INSTANCE", "auth-7"),
    ])
    .await;
    let response = quiet.get("/v1/auth/health").await;
    assert!(response.headers().get("x-served-by").is_none());
    let named = crate::helpers::spawn_app_with(&[("APP_INSTANCE", "auth-7")]).await;
    let response = named.get("/v1/auth/health").await;
    assert_eq!(response.headers()["x-served-by"], "auth-7");
}
