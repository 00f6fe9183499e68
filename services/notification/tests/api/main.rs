//! Black-box tests of the notification service against real PostgreSQL,
//! RabbitMQ and Redis.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod contacts;
mod health;
mod helpers;
