//! Telemetry shared by every Dayone service.
//!
//! - [`init`] installs the `tracing` subscriber: flat JSON lines carrying the
//!   service, request id and trace id (the default, what log shippers read) or
//!   a compact format for a terminal.
//! - [`context`] carries the request id and W3C trace context through a
//!   request or a consumed message, so logs and published messages carry them.
//! - [`metrics`] installs the Prometheus recorder once per process and renders
//!   it for the internal `/metrics` endpoint.
//! - [`otlp`] exports spans over OTLP/HTTP with the ids of [`context`];
//!   [`redact`] keeps secrets out of logged bodies and headers.

pub mod context;
mod json;
pub mod metrics;
pub mod otlp;
pub mod redact;

use serde::Deserialize;
use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt, util::SubscriberInitExt};

pub use context::{RequestContext, TraceParent};

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line, with the current span's fields.
    #[default]
    Json,
    /// Human-readable, for a developer's terminal.
    Pretty,
}

/// Installs the global subscriber. `filter` is an `EnvFilter` directive
/// (`info`, `dayone_auth=debug,info`); `RUST_LOG` wins over it when set.
/// Calling it twice is harmless (the second call is ignored), which keeps
/// tests that build several apps in one process simple.
pub fn init(service: &'static str, instance: Option<String>, format: LogFormat, filter: &str) {
    let env_filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    let registry = tracing_subscriber::registry().with(env_filter);
    let result = match format {
        LogFormat::Json => registry
            .with(json::JsonLayer::new(service, instance))
            .try_init(),
        LogFormat::Pretty => registry.with(fmt::layer().compact()).try_init(),
    };
    if result.is_ok() {
        tracing::info!(service, "telemetry initialised");
    }
}
