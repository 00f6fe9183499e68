//! Black-box tests of the auth service against real PostgreSQL, RabbitMQ
//! and Redis.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod accounts;
mod admin_cli;
mod admin_users;
mod api_keys;
mod cleanup;
mod email;
mod health;
mod helpers;
mod limits;
mod login;
mod mfa;
mod migrate;
mod oauth;
mod otp;
mod passkeys;
mod password;
mod refresh;
mod register;
mod sessions;
mod tokens;
mod users;
