//! `GET /health` (the process is alive) and `GET /ready` (it can do its work:
//! PostgreSQL, RabbitMQ and Redis answer). Both are mounted at the root for
//! probes and operators, who see the instance and each dependency with its
//! latency and error, and under the service's public prefix for the gateway,
//! where the same status and code come without them: the internet learns
//! whether the service can answer, not what it runs on.

use std::time::{Duration, Instant};

use actix_web::{HttpResponse, web};
use dayone_broker::Broker;
use dayone_telemetry::RequestContext;
use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde_json::json;

use crate::redis::Redis;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// What a service says about itself in `/health`.
#[derive(Debug, Clone, Copy)]
pub struct ServiceInfo {
    pub name: &'static str,
    /// Public path prefix behind the gateway, e.g. `/v1/auth`.
    pub prefix: &'static str,
    pub version: &'static str,
}

/// The connections `/ready` checks.
#[derive(Clone)]
pub struct Dependencies {
    pub db: DatabaseConnection,
    pub broker: Broker,
    pub redis: Redis,
}

#[derive(Debug, Serialize)]
struct Check {
    status: &'static str,
    latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// This replica's name for the internal `/health` (`CommonSettings::instance`).
#[derive(Debug, Clone)]
struct Instance(Option<String>);

pub fn routes(info: ServiceInfo, instance: Option<String>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(Instance(instance)))
            .route("/health", web::get().to(health))
            .route("/ready", web::get().to(ready));
        cfg.route(
            &format!("{}/health", info.prefix),
            web::get().to(public_health),
        )
        .route(
            &format!("{}/ready", info.prefix),
            web::get().to(public_ready),
        );
    }
}

async fn health(info: web::Data<ServiceInfo>, instance: web::Data<Instance>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "status": "ok",
        "service": info.name,
        "version": info.version,
        "instance": instance.0,
    }))
}

async fn public_health(info: web::Data<ServiceInfo>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "status": "ok",
        "service": info.name,
        "version": info.version,
    }))
}

/// `/ready` without the dependencies' names, latencies and errors.
async fn public_ready(info: web::Data<ServiceInfo>, deps: web::Data<Dependencies>) -> HttpResponse {
    let detailed = ready(info, deps).await;
    if detailed.status().is_success() {
        return HttpResponse::Ok().json(json!({"status": "ready"}));
    }
    HttpResponse::ServiceUnavailable()
        .insert_header(("Retry-After", "5"))
        .json(json!({
            "status": "unavailable",
            "code": "dependency_unavailable",
            "message": "the service cannot do its work right now",
            "request_id": RequestContext::current_request_id(),
        }))
}

async fn ready(info: web::Data<ServiceInfo>, deps: web::Data<Dependencies>) -> HttpResponse {
    let (postgres, rabbitmq, redis) = tokio::join!(
        timed(async { deps.db.ping().await.map_err(|e| e.to_string()) }),
        timed(async {
            if deps.broker.is_connected() {
                Ok(())
            } else {
                Err("not connected".to_owned())
            }
        }),
        timed(async { deps.redis.ping().await.map_err(|e| e.to_string()) }),
    );
    let checks = [
        ("postgres", postgres),
        ("rabbitmq", rabbitmq),
        ("redis", redis),
    ];
    let down: Vec<&str> = checks
        .iter()
        .filter(|(_, c)| c.status != "up")
        .map(|(name, _)| *name)
        .collect();
    let checks: serde_json::Map<_, _> = checks
        .into_iter()
        .map(|(name, check)| (name.to_owned(), json!(check)))
        .collect();
    if down.is_empty() {
        HttpResponse::Ok().json(json!({
            "status": "ready",
            "service": info.name,
            "checks": checks,
        }))
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "5"))
            .json(json!({
                "status": "unavailable",
                "service": info.name,
                "code": "dependency_unavailable",
                "message": format!("{} unreachable", down.join(", ")),
                "checks": checks,
                "request_id": RequestContext::current_request_id(),
            }))
    }
}

async fn timed(check: impl Future<Output = Result<(), String>>) -> Check {
    let started = Instant::now();
    let result = tokio::time::timeout(CHECK_TIMEOUT, check)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {CHECK_TIMEOUT:?}")));
    let latency_ms = (started.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
    match result {
        Ok(()) => Check {
            status: "up",
            latency_ms,
            error: None,
        },
        Err(error) => Check {
            status: "down",
            latency_ms,
            error: Some(error),
        },
    }
}
