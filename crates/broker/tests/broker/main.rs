//! The broker crate against a real RabbitMQ (a fresh vhost per test) and a
//! real PostgreSQL for the outbox and idempotency record.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod consume;
mod helpers;
mod outbox;
mod publish;
