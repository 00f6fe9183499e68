//! Black-box tests of the notification service against real PostgreSQL,
//! RabbitMQ, Redis and the MailDev SMTP catcher, with local fakes for the
//! SMS gateway, APNs and FCM, and the real auth service for tokens.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod api;
mod cleanup;
mod contacts;
mod devices;
mod digests;
mod email;
mod health;
mod helpers;
mod inbox;
mod preferences;
mod push;
mod reliability;
mod sms;
mod support;
mod templates;
mod topics;
