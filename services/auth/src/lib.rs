//! The auth service: users, credentials, sessions, OTPs and roles.
//!
//! - `settings.rs`: its typed settings (common ones plus `auth.*`).
//! - `startup.rs`: [`Application`], built on the shared service runtime.
//! - `entities/`: sea-orm entities (base model from `dayone-model`).
//! - `users.rs`: creating accounts, with their `user.registered` event in
//!   the same transaction (outbox).
//! - `admin.rs`: the `create-admin` command.

pub mod admin;
pub mod entities;
pub mod settings;
pub mod startup;
pub mod users;

pub use settings::Settings;
pub use startup::Application;
