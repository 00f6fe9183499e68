//! The messaging topology: one topic exchange, and per work queue its retry
//! and dead-letter queues.
//!
//! Each service declares only the queues it owns (services.toml lists them
//! with their bindings; `dayone_model::services`), on each (re)connect.
//! Declarations are idempotent. A message published before its consumer's
//! queue exists is unroutable; publishing sets `mandatory`, so it is refused
//! rather than dropped, and the outbox keeps it until the queue is there.
//!
//! Per work queue `q` there are:
//! - `q`, bound to the events exchange with its routing-key patterns;
//! - `q.retry.<delay>ms`, one per retry delay: messages wait there for their
//!   TTL and are dead-lettered back into `q` (per-queue TTLs, so a long delay
//!   never holds a short one behind it);
//! - `q.dlq`, where messages land with their reason when retries run out or
//!   the handler calls them poison; they can be replayed into `q`.

use std::time::Duration;

use dayone_model::Contract;
use dayone_model::messages::users::SessionRevoked;
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{Channel, ExchangeKind};

/// A work queue and the message types routed into it (an entry of a
/// service's `queues` in services.toml).
pub use dayone_model::services::Queue as QueueDef;

/// The topic exchange all events and jobs are published to; the routing key
/// is the message type.
pub const EVENTS_EXCHANGE: &str = "dayone.events";

/// Broadcasts: every instance of every service gets its own copy, in an
/// exclusive queue that lives as long as its connection.
pub const SESSION_REVOCATIONS: &[&str] = &[SessionRevoked::TYPE];

pub fn dead_letter_queue(queue: &str) -> String {
    format!("{queue}.dlq")
}

/// Whether `name` is a dead-letter queue ([`dead_letter_queue`]).
pub fn is_dead_letter_queue(name: &str) -> bool {
    name.ends_with(".dlq")
}

/// Whether `name` is a retry queue ([`retry_queue`]).
pub fn is_retry_queue(name: &str) -> bool {
    name.contains(".retry.")
}

pub fn retry_queue(queue: &str, delay: Duration) -> String {
    format!("{queue}.retry.{}ms", delay.as_millis())
}

/// Declares the exchange, every queue with its retry and dead-letter queues,
/// and the bindings.
pub async fn declare(
    channel: &Channel,
    queues: &[QueueDef],
    retry_delays: &[Duration],
    quorum: bool,
) -> lapin::Result<()> {
    channel
        .exchange_declare(
            EVENTS_EXCHANGE.into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await?;
    for queue in queues {
        declare_queue(channel, queue.name, queue_args(quorum)).await?;
        declare_queue(channel, &dead_letter_queue(queue.name), queue_args(quorum)).await?;
        for delay in retry_delays {
            let mut args = queue_args(quorum);
            args.insert(
                "x-message-ttl".into(),
                AMQPValue::LongLongInt(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX)),
            );
            args.insert(
                "x-dead-letter-exchange".into(),
                AMQPValue::LongString(LongString::from("")),
            );
            args.insert(
                "x-dead-letter-routing-key".into(),
                AMQPValue::LongString(LongString::from(queue.name)),
            );
            declare_queue(channel, &retry_queue(queue.name, *delay), args).await?;
        }
        for pattern in queue.bindings {
            channel
                .queue_bind(
                    queue.name.into(),
                    EVENTS_EXCHANGE.into(),
                    ShortString::from(*pattern),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }
    }
    Ok(())
}

fn queue_args(quorum: bool) -> FieldTable {
    let mut args = FieldTable::default();
    if quorum {
        args.insert(
            "x-queue-type".into(),
            AMQPValue::LongString(LongString::from("quorum")),
        );
    }
    args
}

async fn declare_queue(channel: &Channel, name: &str, args: FieldTable) -> lapin::Result<()> {
    channel
        .queue_declare(
            ShortString::from(name),
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            args,
        )
        .await
        .map(|_| ())
}
