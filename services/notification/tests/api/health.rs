use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_ready_and_openapi_answer_under_the_public_prefix() {
    let app = spawn_app().await;
    let health: Value = app
        .get("/v1/notifications/health")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(health["service"], "notification");
    assert_eq!(app.get("/v1/notifications/ready").await.status(), 200);
    let doc: Value = app
        .get("/v1/notifications/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    for path in [
        "/v1/notifications",
        "/v1/notifications/{uuid}",
        "/v1/devices",
        "/v1/notifications/preferences",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path}");
    }
}
