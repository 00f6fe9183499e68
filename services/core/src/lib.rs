//! The core service: the sample business (products, orders, recommendations,
//! search, app-version policy), API v1 and v2.
//!
//! - `settings.rs`, `startup.rs`: settings and [`Application`].
//! - `entities/`: sea-orm entities (base model from `dayone-model`).

pub mod entities;
pub mod settings;
pub mod startup;

pub use settings::Settings;
pub use startup::Application;
