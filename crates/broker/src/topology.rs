//! The whole messaging topology of Dayone, in one place.
//!
//! Every service declares all of it on each (re)connect. Declarations are
//! idempotent, and declaring the consumers' queues from the publishing side
//! too means a message published before its consumer ever started still has
//! a queue to wait in: nothing accepted is lost to an unbound routing key.
//!
//! Per work queue `q` there are:
//! - `q`, bound to the events exchange with the routing-key patterns below;
//! - `q.retry.<delay>ms`, one per retry delay: messages wait there for their
//!   TTL and are dead-lettered back into `q` (per-queue TTLs, so a long delay
//!   never holds a short one behind it);
//! - `q.dlq`, where messages land with their reason when retries run out or
//!   the handler calls them poison; they can be replayed into `q`.

use std::time::Duration;

use dayone_model::Contract;
use dayone_model::messages::notifications::{EmailJob, PromotionalSms, PushJob, TransactionalSms};
use dayone_model::messages::tasks::TaskResult;
use dayone_model::messages::users::{SessionRevoked, UserRegistered};
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{Channel, ExchangeKind};

/// The topic exchange all events and jobs are published to; the routing key
/// is the message type.
pub const EVENTS_EXCHANGE: &str = "dayone.events";

/// A work queue and the message types routed into it.
#[derive(Debug, Clone, Copy)]
pub struct QueueDef {
    pub name: &'static str,
    /// Routing-key patterns on [`EVENTS_EXCHANGE`].
    pub bindings: &'static [&'static str],
}

/// Notification keeps its contact projection from auth's `user.*` events.
pub const NOTIFICATION_USER_EVENTS: QueueDef = QueueDef {
    name: "notification.user-events",
    bindings: &[UserRegistered::TYPE, "user.*"],
};

/// Email jobs from any service.
pub const NOTIFICATION_EMAIL: QueueDef = QueueDef {
    name: "notification.email",
    bindings: &[EmailJob::TYPE],
};

/// Push jobs: one per user, fanned out to the user's devices.
pub const NOTIFICATION_PUSH: QueueDef = QueueDef {
    name: "notification.push",
    bindings: &[PushJob::TYPE],
};

/// SMS the user asked for (codes, receipts): never blocked by opt-outs.
pub const SMS_TRANSACTIONAL: QueueDef = QueueDef {
    name: "sms.transactional",
    bindings: &[TransactionalSms::TYPE],
};

/// Marketing SMS: their own queue and sender configuration.
pub const SMS_PROMOTIONAL: QueueDef = QueueDef {
    name: "sms.promotional",
    bindings: &[PromotionalSms::TYPE],
};

/// Outcomes of task runs, for the scheduler's run history.
pub const SCHEDULER_RESULTS: QueueDef = QueueDef {
    name: "scheduler.results",
    bindings: &[TaskResult::TYPE],
};

/// Task requests, per service that runs them.
pub const SCHEDULER_TASKS: QueueDef = QueueDef {
    name: "scheduler.tasks",
    bindings: &["task.scheduler.*"],
};
pub const AUTH_TASKS: QueueDef = QueueDef {
    name: "auth.tasks",
    bindings: &["task.auth.*"],
};
pub const NOTIFICATION_TASKS: QueueDef = QueueDef {
    name: "notification.tasks",
    bindings: &["task.notification.*"],
};
pub const CORE_TASKS: QueueDef = QueueDef {
    name: "core.tasks",
    bindings: &["task.recommendations.*"],
};

/// Every work queue of the system.
pub const QUEUES: &[QueueDef] = &[
    NOTIFICATION_USER_EVENTS,
    NOTIFICATION_EMAIL,
    NOTIFICATION_PUSH,
    SMS_TRANSACTIONAL,
    SMS_PROMOTIONAL,
    CORE_SEARCH_INDEX,
    SCHEDULER_RESULTS,
    SCHEDULER_TASKS,
    AUTH_TASKS,
    NOTIFICATION_TASKS,
    CORE_TASKS,
];

/// Product changes for a shared search backend (Elasticsearch/OpenSearch):
/// one indexer among the core replicas applies each.
pub const CORE_SEARCH_INDEX: QueueDef = QueueDef {
    name: "core.search-index",
    bindings: &["product.*"],
};

/// Product changes for per-instance (embedded) search indexes.
pub const PRODUCT_CHANGES: &[&str] = &["product.*", "search.reindex"];

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
