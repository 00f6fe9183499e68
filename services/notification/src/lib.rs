//! The notification service: email over SMTP, push over APNs and FCM, SMS
//! on separate transactional and promotional senders, delivered reliably
//! from RabbitMQ jobs.
//!
//! - `settings.rs`, `startup.rs`: settings and [`Application`].
//! - `channels/`: the providers (`email.rs` lettre/SMTP, `sms.rs` Twilio API
//!   and log, `apns.rs`, `fcm.rs`).
//! - `jobs.rs`: one job to deliveries, idempotent per envelope id, with
//!   opt-outs and quiet hours for promotional messages; `sweeper.rs`
//!   releases deferred ones.
//! - `deliveries.rs`, `recipients.rs`, `preferences.rs`: records,
//!   addresses and languages, opt-outs and unsubscribe links.
//! - `templates/`: the wording, as versioned rows per locale and channel
//!   (admins edit them at run time; the shipped ones are seeded).
//! - `notifications.rs`: notifications asked for over HTTP and their
//!   status; `devices.rs`: push tokens; `inbox.rs`: the in-app inbox and
//!   its live streams on every instance; `digests.rs`: a user's events of
//!   a template with a window, sent as one message.
//! - `consumers/`: the contact projection from auth's `user.*` events.
//! - `routes/`: HTTP (notifications, templates, devices, preferences,
//!   unsubscribe, dead-letter admin) and the OpenAPI document; `error.rs`: the domain
//!   errors and where they become HTTP answers.

pub mod channels;
pub mod cleanup;
pub mod consumers;
pub mod deliveries;
pub mod devices;
pub mod digests;
pub mod entities;
pub mod error;
pub mod inbox;
pub mod jobs;
pub mod notifications;
pub mod preferences;
pub mod recipients;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod state;
pub mod support;
pub mod sweeper;
pub mod tasks;
pub mod templates;

pub use settings::Settings;
pub use startup::Application;

/// A PostgreSQL statement with its values, for the raw SQL of the inbox
/// and the digests.
pub(crate) fn statement(sql: &str, values: Vec<sea_orm::Value>) -> sea_orm::Statement {
    sea_orm::Statement::from_sql_and_values(sea_orm::DbBackend::Postgres, sql, values)
}
