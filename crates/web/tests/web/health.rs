use std::time::Duration;

use dayone_test_support::{TestEnv, closed_port};
use serde_json::Value;

use crate::helpers::{spawn, spawn_app};

#[tokio::test]
async fn health_answers_at_the_root_and_under_the_public_prefix() {
    let app = spawn_app().await;
    for path in ["/health", "/v1/webtest/health"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["service"], "webtest");
    }
}

#[tokio::test]
async fn ready_reports_each_dependency_up() {
    let app = spawn_app().await;
    let response = app.get("/ready").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    for dependency in ["postgres", "rabbitmq", "redis"] {
        assert_eq!(body["checks"][dependency]["status"], "up", "{dependency}");
    }
}

/// Points one dependency at a port nothing listens on and checks that
/// `/ready` is 503 and names it (and only it).
async fn ready_names_the_dependency_that_is_down(var: &str, dependency: &str) {
    let mut env = TestEnv::new("webtest").await.unwrap();
    env.set(var, closed_port().to_string());
    let app = spawn(&env).await;
    // Give the broker supervisor a moment: "down" must not be "not yet".
    tokio::time::sleep(Duration::from_millis(500)).await;

    let public = app.get("/v1/webtest/ready").await;
    assert_eq!(public.status(), 503);
    let public: Value = public.json().await.unwrap();
    assert_eq!(public["code"], "dependency_unavailable");
    assert!(!public.to_string().contains(dependency), "{public}");

    let response = app.get("/ready").await;

    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "dependency_unavailable");
    assert_eq!(body["message"], format!("{dependency} unreachable"));
    assert_eq!(body["checks"][dependency]["status"], "down");
    let up = ["postgres", "rabbitmq", "redis"]
        .into_iter()
        .filter(|d| *d != dependency);
    for other in up {
        assert_eq!(body["checks"][other]["status"], "up", "{other}");
    }
}

#[tokio::test]
async fn ready_is_503_naming_postgres_when_it_is_down() {
    ready_names_the_dependency_that_is_down("APP_DATABASE__PORT", "postgres").await;
}

#[tokio::test]
async fn ready_is_503_naming_rabbitmq_when_it_is_down() {
    ready_names_the_dependency_that_is_down("APP_BROKER__PORT", "rabbitmq").await;
}

#[tokio::test]
async fn ready_is_503_naming_redis_when_it_is_down() {
    ready_names_the_dependency_that_is_down("APP_REDIS__PORT", "redis").await;
}

#[tokio::test]
async fn metrics_are_served_on_the_internal_port_only() {
    let app = spawn_app().await;
    app.get("/v1/webtest/health").await;
    app.get("/nope").await;

    let text = app
        .client
        .get(format!("{}/metrics", app.metrics_address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            r#"http_server_requests_total{method="GET",route="/v1/webtest/health",status="200"}"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(text.contains("http_server_request_duration_seconds_bucket"));
    assert!(text.contains("process_resident_memory_bytes"));
    assert_eq!(
        app.get("/metrics").await.status(),
        404,
        "not on the public port"
    );
}

#[tokio::test]
async fn the_container_healthcheck_probe_passes_on_a_live_service_only() {
    let app = spawn_app().await;
    let port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();
    let probe = tokio::task::spawn_blocking(move || {
        dayone_web::cli::probe_health(port, Duration::from_secs(2))
    });
    assert_eq!(probe.await.unwrap(), Ok(()));
    let closed = closed_port();
    let probe = tokio::task::spawn_blocking(move || {
        dayone_web::cli::probe_health(closed, Duration::from_secs(2))
    });
    assert!(probe.await.unwrap().is_err());
}
