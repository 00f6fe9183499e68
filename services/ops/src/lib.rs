//! The ops service: the console admins run Dayone from (/console/) and the
//! API reference for client developers (/docs/).
//!
//! - `sessions.rs`: console sign-in through the login API, sessions in Redis, CSRF.
//! - `queues.rs`: every service's queues and their dead letters.
//! - `audit.rs`: the audit log of admin actions.
//! - `jobs.rs`: scheduled jobs and their runs, through the cron service's API.
//! - `support.rs`: someone's notifications and every attempt, and resending.
//! - `users.rs`: accounts: search, disable and enable, roles, sessions.
//! - `api.rs`: calls to the other services' APIs as the signed-in admin.
//! - `pages.rs`: the console's HTML.
//! - `startup.rs`: connects, starts the consumers and serves the routes.
//! - `state.rs`: what the handlers, consumers and tasks share.
//! - `routes/`: the HTTP API, one endpoint group per file, and its OpenAPI
//!   document. Handlers parse, authorize, call the domain, answer.
//! - `consumers/`: the queues this service owns (services.toml lists them).
//! - `tasks.rs`: the scheduled tasks it runs (`task.ops.*`).
//! - `error.rs`: its domain errors and the API errors they become.

pub mod api;
pub mod audit;
pub mod consumers;
pub mod error;
pub mod jobs;
pub mod pages;
pub mod queues;
pub mod routes;
pub mod sessions;
pub mod settings;
pub mod startup;
pub mod state;
pub mod support;
pub mod tasks;
pub mod users;

pub use settings::Settings;
pub use startup::Application;
