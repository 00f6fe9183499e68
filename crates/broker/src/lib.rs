//! RabbitMQ for every Dayone service, over lapin.
//!
//! - [`Broker`] (`connection.rs`): one supervised connection per process that
//!   reconnects with backoff, re-declares the topology and hands consumers the
//!   new connection; publishing waits for the broker's confirm.
//! - [`topology`]: every exchange, queue, retry queue and dead-letter queue of
//!   the system, declared from code on each (re)connect.
//! - [`consumer`]: manual-ack consumers with bounded concurrency, retries with
//!   backoff through TTL delay queues, and dead-lettering with the reason.
//! - `dead_letters.rs`: inspecting and replaying a dead-letter queue.
//! - [`outbox`]: messages written in the same database transaction as the
//!   state change, published by a relay with confirms.
//! - [`idempotency`]: the processed-message record that makes a redelivery
//!   have no second effect.
//! - [`headers`]: `traceparent` and the request id in AMQP headers.
//! - [`schema`]: the SQL for the outbox and idempotency tables, run by every
//!   service's migrations.

mod connection;
pub mod consumer;
mod dead_letters;
pub mod headers;
pub mod idempotency;
pub mod outbox;
pub mod schema;
mod settings;
pub mod tasks;
pub mod topology;

pub use connection::{Broker, Outgoing, PublishError};
pub use consumer::{ConsumerOptions, Handler, HandlerError, Incoming, Outcome};
pub use dead_letters::DeadLetter;
pub use outbox::{Outbox, OutboxRelay};
pub use settings::BrokerSettings;
