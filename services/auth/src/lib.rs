//! The auth service: users, credentials, sessions, OTPs and roles.
//!
//! - `settings.rs`, `startup.rs`: settings and [`Application`].
//! - `routes/`: one module per endpoint group (register, login, sessions,
//!   otp, password, email, account, users, jwks) and the OpenAPI document.
//! - `sessions.rs`: sessions, token issue, rotation and revocation.
//! - `keys.rs`: the Ed25519 signing key and the JWKS.
//! - `domain.rs`: email, password, phone and name parsing.
//! - `users.rs`, `links.rs`, `notify.rs`, `passwords.rs`, `secrets.rs`:
//!   accounts, emailed single-use links, notification jobs, bcrypt, tokens.
//! - `accounts.rs`, `codes.rs`, `verification.rs`: registration, account
//!   changes and deletion, the password reset, SMS one-time codes and email
//!   verification, each owning its transaction and outbox write (no handler
//!   in `routes/` runs a transaction).
//! - `consumers/`, `tasks.rs`, `cleanup.rs`: its task queue, its scheduled
//!   tasks and the nightly cleanup; `error.rs`: its errors and own codes.
//! - `admin.rs`: the `create-admin` command; `api_keys.rs`: API keys and
//!   their grants.

pub mod accounts;
pub mod admin;
pub mod api_keys;
pub mod cleanup;
pub mod codes;
pub mod consumers;
pub mod domain;
pub mod entities;
pub mod error;
pub mod keys;
pub mod limits;
pub mod links;
pub mod mfa;
pub mod notify;
pub mod oauth;
pub mod passkeys;
pub mod passwords;
pub mod pending;
pub mod profiles;
pub mod routes;
pub mod secrets;
pub mod sessions;
pub mod settings;
pub mod startup;
pub mod state;
pub mod tasks;
pub mod users;
pub mod verification;

pub use settings::Settings;
pub use startup::Application;
