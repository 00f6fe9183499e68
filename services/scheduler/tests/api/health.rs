use serde_json::Value;

use crate::helpers::{jobs_yaml, spawn_app};

#[tokio::test]
async fn health_and_ready_answer_under_the_public_prefix() {
    let app = spawn_app(&jobs_yaml(&[])).await;
    let health: Value = app.get("/v1/scheduler/health").await.json().await.unwrap();
    assert_eq!(health["service"], "scheduler");
    assert_eq!(app.get("/v1/scheduler/ready").await.status(), 200);
}
