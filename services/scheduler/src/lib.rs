//! The scheduler service: cron jobs managed by the system.
//!
//! - `jobs.rs`: job definitions (built-in and from a file), schedules with
//!   seconds and time zones, their sync to the `jobs` table, lookup and
//!   pause.
//! - `ticker.rs`: each replica's firing loop and the catch-up policy.
//! - `runs.rs`: firing a tick exactly once across replicas (a unique
//!   (job, tick) row plus the outbox), overlap, manual triggers, results,
//!   lost runs, the history.
//! - `consumers/`: its queues; workers' reports (`scheduler.results`) into
//!   the history.
//! - `tasks.rs`: the scheduler's own tasks: disk space, queue depth, noop.
//! - `routes/`: the admin API, one module per endpoint group, and its
//!   OpenAPI document; `error.rs`: the domain errors and where they become
//!   HTTP answers.

pub mod consumers;
pub mod entities;
pub mod error;
pub mod jobs;
pub mod routes;
pub mod runs;
pub mod settings;
pub mod startup;
pub mod state;
pub mod tasks;
pub mod ticker;

pub use settings::Settings;
pub use startup::Application;
