use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_ready_and_both_openapi_documents_answer() {
    let app = spawn_app().await;
    let health: Value = app.get("/v1/core/health").await.json().await.unwrap();
    assert_eq!(health["service"], "core");
    assert_eq!(app.get("/v1/core/ready").await.status(), 200);
    let v1: Value = app.get("/v1/openapi.json").await.json().await.unwrap();
    for path in [
        "/v1/products",
        "/v1/orders",
        "/v1/orders/{uuid}/cancel",
        "/v1/search",
        "/v1/app/version-check",
    ] {
        assert!(v1["paths"].get(path).is_some(), "v1 {path}");
    }
    let v2: Value = app.get("/v2/openapi.json").await.json().await.unwrap();
    assert!(v2["paths"].get("/v2/products").is_some());
    assert!(v2["components"]["schemas"].get("Money").is_some());
}
