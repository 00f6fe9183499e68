//! The scheduler against the real test stack: PostgreSQL, RabbitMQ, Redis,
//! the auth service for tokens and the fake Slack webhook for alerts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alerts;
mod dead_letters;
mod health;
mod helpers;
mod jobs;
mod policies;
mod replicas;
mod schema;
