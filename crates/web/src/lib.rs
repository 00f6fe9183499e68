//! What every Dayone HTTP service shares.
//!
//! - [`settings`]: typed settings layered from files, environment and secret
//!   files, with the production secret check.
//! - [`error`]: [`ApiError`], the JSON error body and the code-to-status table.
//! - [`extractors`]: JSON/query/path extractor errors in that body, and the
//!   JSON 404 for unknown routes.
//! - [`middleware`]: request id, trace context, access log and HTTP metrics.
//! - [`health`]: `/health` and `/ready`.
//! - [`auth`]: access-token verification, revocations, the `AuthenticatedUser`
//!   extractor.
//! - [`throttle`]: fixed-window counters in Redis; [`client`]: the client IP.
//! - [`redis`]: the lazily connected Redis handle.
//! - [`dead_letters`]: counting and replaying each service's dead letters.
//! - [`idempotency`]: `Idempotency-Key` on creating POSTs.
//! - [`openapi`]: what every OpenAPI document shares (security schemes,
//!   the shared layers' answers), added in one place.
//! - [`server`]: [`ServiceRuntime`], which connects, serves and shuts down.
//! - [`reporting`]: 5xx and panics to Sentry and the alert webhook.

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod client;
pub mod dead_letters;
pub mod error;
pub mod extractors;
pub mod health;
pub mod idempotency;
pub mod input;
pub mod middleware;
pub mod openapi;
pub mod paging;
pub mod redis;
pub mod reporting;
pub mod server;
pub mod settings;
pub mod throttle;

pub use auth::{AuthenticatedUser, RevocationList, secrets_match};
pub use error::{ApiError, ErrorCode};
pub use health::{Dependencies, ServiceInfo};
pub use server::{RunningService, ServiceRuntime};
pub use settings::{CommonSettings, Environment, ServiceSettings};

/// SHA-256 of `data`, lowercase hex: how request bodies and high-entropy
/// secrets (API keys, refresh tokens, links) are kept.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Sets up logging from the `log` settings, trace export from `telemetry`
/// and error reporting from `sentry`. Keep the guard until the process
/// exits: dropping it flushes the error reports still queued.
#[must_use = "dropping the guard stops error reporting"]
pub fn init_telemetry(
    service: &'static str,
    settings: &CommonSettings,
) -> reporting::ReportingGuard {
    dayone_telemetry::init(
        service,
        settings.instance.clone(),
        settings.log.format,
        &settings.log.filter,
    );
    dayone_telemetry::context::set_sample_ratio(settings.telemetry.trace_sample_ratio);
    dayone_telemetry::otlp::init(
        &settings.telemetry.otlp_endpoint,
        service,
        &settings.instance_name(service),
        settings.environment.as_str(),
    );
    reporting::init(service, settings)
}
