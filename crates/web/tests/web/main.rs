//! The shared service runtime against real PostgreSQL, RabbitMQ and Redis:
//! health and readiness, JSON errors, the request middleware, metrics,
//! graceful shutdown, settings layering, and error reporting to (fake)
//! Sentry and the alert webhook.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod errors;
mod health;
mod helpers;
mod middleware;
mod reporting;
mod settings;
mod shutdown;
