//! The notification service: devices, preferences, deliveries, templates.
//!
//! - `settings.rs`, `startup.rs`: settings and [`Application`].
//! - `entities/`: sea-orm entities (base model from `dayone-model`).
//! - `consumers/`: RabbitMQ consumers; `user_events.rs` keeps the contact
//!   projection from auth's `user.*` events.

pub mod consumers;
pub mod entities;
pub mod settings;
pub mod startup;

pub use settings::Settings;
pub use startup::Application;
