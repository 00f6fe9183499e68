//! The {{name}} service in-process against the real test stack
//! (`make test-infra`): PostgreSQL, RabbitMQ and Redis.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use dayone_test_support::TestEnv;
use dayone_test_support::app::{TestApp, spawn};
use dayone_{{name}}::{Application, Settings};
use serde_json::Value;

async fn spawn_app() -> TestApp {
    let env = TestEnv::new("{{name}}").await.unwrap();
    spawn::<Settings, {{name}}_migration::Migrator, _, _>("{{name}}", env, Application::build).await
}

#[tokio::test]
async fn health_ready_and_the_document_answer_under_the_public_prefix() {
    let app = spawn_app().await;
    let health: Value = app.get("{{path}}/health").await.json().await.unwrap();
    assert_eq!(health["service"], "{{name}}");
    assert_eq!(app.get("{{path}}/ready").await.status(), 200);
    let document: Value = app.get("{{path}}/openapi.json").await.json().await.unwrap();
    assert!(document["paths"].is_object(), "{document}");
}
