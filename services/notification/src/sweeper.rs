//! Deferred deliveries and closed digests (`digests.rs`), on one timer.
//!
//! A promotional message that arrives in the user's
//! quiet hours is recorded `deferred` with the time they end; this loop
//! publishes its job again once that time has come (same envelope id, so
//! it lands on its existing records). Until the broker confirms, the
//! delivery stays deferred and is picked up on the next round.

use std::sync::Arc;
use std::time::Duration;

use dayone_broker::Outgoing;
use dayone_broker::topology::EVENTS_EXCHANGE;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::state::NotifyState;

pub fn spawn(state: Arc<NotifyState>, stop: CancellationToken) -> JoinHandle<()> {
    let every = Duration::from_secs(state.settings.deferred_sweep_secs.max(1));
    tokio::spawn(async move {
        let mut last_deferred = tokio::time::Instant::now();
        loop {
            // Digests every second (a window of seconds should not wait for
            // the deferred sweep's half minute; the query reads a partial
            // index of open digests), deferred deliveries every `every`.
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(DIGEST_SWEEP) => {}
            }
            if last_deferred.elapsed() >= every {
                last_deferred = tokio::time::Instant::now();
                match sweep(&state).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(republished = n, "deferred notifications released"),
                    Err(error) => tracing::warn!(error = %error, "deferred sweep failed"),
                }
            }
            match crate::digests::release_due(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(digests = n, "digests closed and queued"),
                Err(error) => tracing::warn!(error = %error, "digest sweep failed"),
            }
        }
    })
}

/// How often closed digest windows are looked for.
const DIGEST_SWEEP: Duration = Duration::from_secs(1);

/// Republishes the jobs of due deferred deliveries; returns how many.
pub async fn sweep(state: &NotifyState) -> anyhow::Result<usize> {
    let rows = state
        .db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT DISTINCT n.id, n.uuid::text AS uuid, n.job FROM deliveries d \
             JOIN notifications n ON n.id = d.notification_id \
             WHERE d.status = 'deferred' AND d.not_before <= now() \
             LIMIT 500",
        ))
        .await?;
    let mut released = 0;
    for row in rows {
        let id: i64 = row.try_get("", "id")?;
        let uuid: String = row.try_get("", "uuid")?;
        let job: serde_json::Value = row.try_get("", "job")?;
        let kind = job["type"].as_str().unwrap_or_default().to_owned();
        let body = serde_json::to_vec(&job)?;
        let headers = dayone_broker::headers::for_publish(&kind);
        state
            .broker
            .publish_raw(Outgoing {
                exchange: EVENTS_EXCHANGE,
                routing_key: &kind,
                message_id: &uuid,
                kind: &kind,
                body: &body,
                headers: &headers,
            })
            .await?;
        state
            .db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE deliveries SET status = 'pending', not_before = NULL \
                 WHERE notification_id = $1 AND status = 'deferred'",
                [id.into()],
            ))
            .await?;
        released += 1;
    }
    Ok(released)
}
