//! The scheduler service: job definitions, schedules, run history and leases.
//!
//! - `settings.rs`, `startup.rs`: settings and [`Application`].
//! - `entities/`: sea-orm entities (base model from `dayone-model`).

pub mod entities;
pub mod settings;
pub mod startup;

pub use settings::Settings;
pub use startup::Application;
