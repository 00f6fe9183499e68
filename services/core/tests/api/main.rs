//! Black-box tests of the core service against real PostgreSQL, RabbitMQ
//! and Redis, with tokens checked against a test issuer's JWKS.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod app_versions;
mod bola;
mod elastic;
mod health;
mod helpers;
mod keys;
mod orders;
mod products;
mod recommendations;
mod schema;
mod search;
