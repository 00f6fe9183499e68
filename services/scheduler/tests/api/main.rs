//! Black-box tests of the scheduler service against real PostgreSQL, RabbitMQ
//! and Redis.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod health;
mod helpers;
mod schema;
