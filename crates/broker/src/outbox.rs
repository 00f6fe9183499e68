//! The transactional outbox.
//!
//! [`Outbox::enqueue`] writes a message into `outbox_messages` inside the
//! caller's transaction, so the message exists exactly when the change it
//! reports was committed. [`OutboxRelay`] publishes pending rows in id order
//! with publisher confirms and stamps them published. Rows are claimed with
//! `FOR UPDATE SKIP LOCKED`, so several replicas relay side by side without
//! publishing a row twice. Each claim is one small window of rows, published
//! side by side and stamped in the transaction that claimed them: a crash
//! (or a lost database) between a confirm and its stamp republishes at most
//! that window, never a whole backlog, and the consumers' idempotency makes
//! the second copy harmless.

use std::sync::Arc;
use std::time::Duration;

use dayone_model::{Contract, Envelope};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use crate::connection::{Broker, Outgoing, PublishError};
use crate::headers;
use crate::topology::EVENTS_EXCHANGE;

/// Rows claimed, published and stamped together: at most this many are
/// published again after a crash.
const WINDOW: i64 = 16;

/// The relay's poll: the oldest due rows no other relay holds, `$1` of them
/// (read through `outbox_messages_pending_id_idx`: see
/// [`crate::schema::OUTBOX_PENDING_BY_ID`]).
pub const POLL_SQL: &str = "SELECT id, message_id::text AS message_id, exchange, routing_key, body, headers, attempts \
     FROM outbox_messages \
     WHERE published_at IS NULL AND next_attempt_at <= now() \
     ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED";

const POLL: Duration = Duration::from_millis(500);

/// Writes messages into the outbox and wakes the relay after a commit.
#[derive(Clone, Default)]
pub struct Outbox {
    wake: Arc<Notify>,
}

impl Outbox {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `envelope` to the outbox within `txn`, with the current trace
    /// context. Call [`Outbox::wake`] after the commit for prompt delivery
    /// (the relay also polls).
    pub async fn enqueue<C: ConnectionTrait, P: Contract>(
        &self,
        txn: &C,
        envelope: &Envelope<P>,
    ) -> Result<(), DbErr> {
        let body = serde_json::to_value(envelope).map_err(|e| DbErr::Custom(e.to_string()))?;
        self.enqueue_raw(txn, P::TYPE, &body, envelope.id).await
    }

    /// [`Outbox::enqueue`] for an envelope already turned into JSON, routed
    /// by `kind`.
    pub async fn enqueue_raw<C: ConnectionTrait>(
        &self,
        txn: &C,
        kind: &str,
        envelope: &serde_json::Value,
        id: uuid::Uuid,
    ) -> Result<(), DbErr> {
        let headers: serde_json::Map<String, serde_json::Value> = headers::for_publish(kind)
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO outbox_messages (message_id, exchange, routing_key, body, headers) \
             VALUES ($1, $2, $3, $4, $5)",
            [
                id.into(),
                EVENTS_EXCHANGE.into(),
                kind.into(),
                envelope.clone().into(),
                serde_json::Value::Object(headers).into(),
            ],
        ))
        .await?;
        Ok(())
    }

    /// Tells the relay that new rows were committed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Publishes the outbox in the background.
pub struct OutboxRelay;

impl OutboxRelay {
    /// Runs until the broker's shutdown token is cancelled.
    pub fn spawn(db: DatabaseConnection, broker: Broker, outbox: Outbox) -> JoinHandle<()> {
        tokio::spawn(async move {
            let shutdown = broker.shutdown_token().clone();
            loop {
                if broker.is_connected() {
                    match relay_batch(&db, &broker).await {
                        // A full window: there may be more, go again at once.
                        Ok(n) if n as i64 == WINDOW => continue,
                        Ok(_) => {}
                        Err(error) => warn!(error = %error, "outbox relay failed; will retry"),
                    }
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = outbox.wake.notified() => {}
                    _ = tokio::time::sleep(POLL) => {}
                }
            }
        })
    }
}

/// One claimed row, ready to publish.
struct Row {
    id: i64,
    message_id: String,
    exchange: String,
    routing_key: String,
    body: Vec<u8>,
    headers: Vec<(String, String)>,
    attempts: i32,
}

impl Row {
    fn read(row: &sea_orm::QueryResult) -> Result<Self, DbErr> {
        let body: serde_json::Value = row.try_get("", "body")?;
        let headers: serde_json::Value = row.try_get("", "headers")?;
        Ok(Self {
            id: row.try_get("", "id")?,
            message_id: row.try_get("", "message_id")?,
            exchange: row.try_get("", "exchange")?,
            routing_key: row.try_get("", "routing_key")?,
            body: serde_json::to_vec(&body).map_err(|e| DbErr::Custom(e.to_string()))?,
            headers: headers
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                        .collect()
                })
                .unwrap_or_default(),
            attempts: row.try_get("", "attempts")?,
        })
    }
}

/// Claims one window of rows, publishes them side by side with confirms,
/// stamps what was confirmed, and commits; returns how many rows it handled.
async fn relay_batch(db: &DatabaseConnection, broker: &Broker) -> Result<usize, DbErr> {
    let txn = db.begin().await?;
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            POLL_SQL,
            [WINDOW.into()],
        ))
        .await?;
    let count = rows.len();
    let rows = rows.iter().map(Row::read).collect::<Result<Vec<_>, _>>()?;
    let results = futures_util::future::join_all(rows.iter().map(|row| {
        broker.publish_raw(Outgoing {
            exchange: &row.exchange,
            routing_key: &row.routing_key,
            message_id: &row.message_id,
            kind: &row.routing_key,
            body: &row.body,
            headers: &row.headers,
        })
    }))
    .await;
    let mut published = Vec::new();
    let mut deferred = false;
    for (row, result) in rows.iter().zip(results) {
        match result {
            Ok(()) => {
                debug!(
                    message_id = row.message_id,
                    routing_key = row.routing_key,
                    "outbox message published"
                );
                published.push(row.id);
            }
            // The connection is gone: the row waits for the next one, untouched.
            Err(PublishError::Disconnected | PublishError::Amqp(_) | PublishError::Unconfirmed) => {
                deferred = true;
                warn!(
                    message_id = row.message_id,
                    routing_key = row.routing_key,
                    "broker unavailable; outbox publish deferred"
                );
            }
            Err(error) => {
                // Refused or unroutable: keep the row (nothing accepted is
                // dropped) and back off it, so it does not hold the others up.
                let backoff_secs = 2f64.powi(row.attempts.min(12)).min(3600.0);
                warn!(message_id = row.message_id, routing_key = row.routing_key, attempts = row.attempts + 1, error = %error, "outbox publish failed");
                txn.execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "UPDATE outbox_messages SET attempts = attempts + 1, last_error = $2, \
                     next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
                    [row.id.into(), error.to_string().into(), backoff_secs.into()],
                ))
                .await?;
            }
        }
    }
    if !published.is_empty() {
        // Ids read from the table itself: integers, safe to inline.
        let ids: Vec<String> = published.iter().map(i64::to_string).collect();
        txn.execute_unprepared(&format!(
            "UPDATE outbox_messages SET published_at = now(), attempts = attempts + 1, \
             last_error = NULL WHERE id IN ({})",
            ids.join(",")
        ))
        .await?;
    }
    txn.commit().await?;
    record_backlog(db).await;
    // Rows left for a new connection: wait for it rather than spin.
    Ok(if deferred { 0 } else { count })
}

async fn record_backlog(db: &DatabaseConnection) {
    let pending = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM outbox_messages WHERE published_at IS NULL",
        ))
        .await
        .ok()
        .flatten()
        .and_then(|row| row.try_get::<i64>("", "n").ok());
    if let Some(n) = pending {
        metrics::gauge!("outbox_pending_messages").set(n as f64);
    }
}

/// Deletes published rows older than `days` (they are only kept for audit).
pub async fn purge_published<C: ConnectionTrait>(db: &C, days: i32) -> Result<u64, DbErr> {
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM outbox_messages WHERE published_at < now() - make_interval(days => $1)",
            [days.into()],
        ))
        .await?;
    Ok(result.rows_affected())
}
