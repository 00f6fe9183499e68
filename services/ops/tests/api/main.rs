//! The ops service in-process against the real test stack (PostgreSQL,
//! RabbitMQ, Redis), with tokens from a test issuer. The console's sign-in
//! through the login API and its pages in Chromium are the gateway's tests
//! (tests/e2e/tests/console.rs).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod console;
mod helpers;
