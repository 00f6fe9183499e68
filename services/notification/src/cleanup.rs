//! `notification.cleanup`, a nightly scheduled task: deletes
//! notifications whose every delivery finished (sent, suppressed or failed)
//! longer ago than `housekeeping.retention_days`, with their deliveries and
//! attempts (and inbox items), and digests sent as long ago, and does the
//! messaging housekeeping every service does.
//! Deferred and retrying deliveries are never touched.

use dayone_broker::tasks::messaging_housekeeping;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::Value;

use crate::deliveries::DeliveryStatus;

pub async fn cleanup(
    db: &DatabaseConnection,
    retention_days: i32,
) -> anyhow::Result<serde_json::Map<String, Value>> {
    let mut counts = messaging_housekeeping(db, retention_days).await?;
    let deleted = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM notifications n WHERE n.created_at < now() - make_interval(days => $1) \
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.notification_id = n.id \
               AND (d.status NOT IN ($2, $3, $4) OR d.updated_at >= now() - make_interval(days => $1)))",
            [
                retention_days.into(),
                DeliveryStatus::Sent.as_str().into(),
                DeliveryStatus::Suppressed.as_str().into(),
                DeliveryStatus::Failed.as_str().into(),
            ],
        ))
        .await?
        .rows_affected();
    counts.insert("notifications".into(), deleted.into());
    // Digests sent that long ago (their items went with their notifications).
    let digests = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM digests WHERE sent_at < now() - make_interval(days => $1)",
            [retention_days.into()],
        ))
        .await?
        .rows_affected();
    counts.insert("digests".into(), digests.into());
    let summary = Value::Object(counts.clone());
    tracing::info!(deleted = %summary, "notification cleanup done");
    Ok(counts)
}
