//! The ops service.
//!
//! - `startup.rs`: connects, starts the consumers and serves the routes.
//! - `state.rs`: what the handlers, consumers and tasks share.
//! - `routes/`: the HTTP API, one endpoint group per file, and its OpenAPI
//!   document. Handlers parse, authorize, call the domain, answer.
//! - `consumers/`: the queues this service owns (services.toml lists them).
//! - `tasks.rs`: the scheduled tasks it runs (`task.ops.*`).
//! - `error.rs`: its domain errors and the API errors they become.

pub mod consumers;
pub mod error;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod state;
pub mod tasks;

pub use settings::Settings;
pub use startup::Application;
