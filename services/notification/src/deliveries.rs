//! The record of what was accepted and what happened to it.
//!
//! A job becomes a `notifications` row keyed by its envelope id, and one
//! `deliveries` row per address. Every provider call adds an attempt. A
//! redelivered job finds its rows: a delivery already sent, suppressed or
//! failed is not tried again, so a duplicate never sends twice.

use std::time::Instant;

use chrono::{DateTime, Utc};
use dayone_model::{BaseEntity, RawEnvelope};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryFilter, Statement,
};
use uuid::Uuid;

use crate::channels::SendError;
use crate::entities::{delivery, notification};

/// Delivery states.
pub mod status {
    pub const PENDING: &str = "pending";
    pub const RETRYING: &str = "retrying";
    pub const DEFERRED: &str = "deferred";
    pub const SENT: &str = "sent";
    pub const SUPPRESSED: &str = "suppressed";
    pub const FAILED: &str = "failed";

    /// Nothing more will happen to a delivery in these states.
    pub fn is_final(status: &str) -> bool {
        matches!(status, SENT | SUPPRESSED | FAILED)
    }
}

/// What a job is, for its `notifications` row.
pub struct JobInfo<'a> {
    pub channel: &'a str,
    pub category: &'a str,
    pub template: &'a str,
    pub recipient: Option<Uuid>,
}

/// The row of this job (created on first sight; the envelope id makes it
/// idempotent).
pub async fn accept<C: ConnectionTrait>(
    db: &C,
    envelope: &RawEnvelope,
    info: JobInfo<'_>,
) -> Result<notification::Model, DbErr> {
    let job = serde_json::to_value(envelope).map_err(|e| DbErr::Custom(e.to_string()))?;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO notifications (uuid, channel, category, template, recipient_user_uuid, job, status) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending') ON CONFLICT (uuid) DO NOTHING",
        [
            envelope.id.into(),
            info.channel.into(),
            info.category.into(),
            info.template.into(),
            info.recipient.into(),
            job.into(),
        ],
    ))
    .await?;
    notification::Entity::find_by_uuid(db, envelope.id)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("notification {}", envelope.id)))
}

/// The delivery of `notification` to `address` on `channel`.
pub async fn delivery_for(
    db: &DatabaseConnection,
    notification: &notification::Model,
    channel: &str,
    address: &str,
) -> Result<delivery::Model, DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO deliveries (notification_id, channel, address, status) VALUES ($1, $2, $3, 'pending') \
         ON CONFLICT (notification_id, channel, address) DO NOTHING",
        [notification.id.into(), channel.into(), address.into()],
    ))
    .await?;
    delivery::Entity::active()
        .filter(delivery::Column::NotificationId.eq(notification.id))
        .filter(delivery::Column::Channel.eq(channel))
        .filter(delivery::Column::Address.eq(address))
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("delivery".into()))
}

/// Sets a delivery's state without an attempt (suppressed, deferred, or a
/// failure found before any provider call).
pub async fn mark(
    db: &DatabaseConnection,
    delivery: &delivery::Model,
    status: &str,
    error: Option<&str>,
    not_before: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE deliveries SET status = $2, last_error = $3, not_before = $4 WHERE id = $1",
        [
            delivery.id.into(),
            status.into(),
            error.into(),
            not_before.into(),
        ],
    ))
    .await?;
    refresh_status(db, delivery.notification_id).await
}

/// Runs one provider call for `delivery` and records it as an attempt. A
/// transient failure on the last allowed attempt is recorded as failed.
pub async fn attempt<F>(
    db: &DatabaseConnection,
    delivery: &delivery::Model,
    last_try: bool,
    send: F,
) -> Result<Result<String, SendError>, DbErr>
where
    F: Future<Output = Result<String, SendError>>,
{
    let started = Instant::now();
    let result = send.await;
    let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    let (outcome, state, error, provider_id) = match &result {
        Ok(id) => ("sent", status::SENT, None, Some(id.clone())),
        Err(SendError::Transient(e)) if !last_try => {
            ("transient_error", status::RETRYING, Some(e.clone()), None)
        }
        Err(SendError::Transient(e)) => (
            "transient_error",
            status::FAILED,
            Some(format!("gave up: {e}")),
            None,
        ),
        Err(SendError::Permanent(e)) => ("permanent_error", status::FAILED, Some(e.clone()), None),
        Err(SendError::InvalidToken(e)) => (
            "invalid_token",
            status::FAILED,
            Some(format!("device token rejected: {e}")),
            None,
        ),
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE deliveries SET status = $2, last_error = $3, provider_id = COALESCE($4, provider_id), \
             attempts = attempts + 1, not_before = NULL, \
             sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END \
             WHERE id = $1 RETURNING attempts",
            [delivery.id.into(), state.into(), error.clone().into(), provider_id.into()],
        ))
        .await?;
    let attempt: i32 = row
        .map(|r| r.try_get("", "attempts"))
        .transpose()?
        .unwrap_or(1);
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO delivery_attempts (delivery_id, attempt, outcome, error, duration_ms) VALUES ($1, $2, $3, $4, $5)",
        [delivery.id.into(), attempt.into(), outcome.into(), error.into(), duration_ms.into()],
    ))
    .await?;
    refresh_status(db, delivery.notification_id).await?;
    metrics::counter!("notification_deliveries_total", "channel" => delivery.channel.clone(), "outcome" => outcome)
        .increment(1);
    Ok(result)
}

/// A notification's status from its deliveries: `pending` while any is on
/// its way, then `sent`, `suppressed`, `failed` or `partially_sent`.
pub async fn refresh_status<C: ConnectionTrait>(db: &C, notification_id: i64) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE notifications n SET status = s.status FROM ( \
           SELECT CASE \
             WHEN bool_or(status IN ('pending', 'retrying')) THEN 'pending' \
             WHEN bool_or(status = 'deferred') THEN 'deferred' \
             WHEN bool_and(status = 'sent') THEN 'sent' \
             WHEN bool_and(status = 'suppressed') THEN 'suppressed' \
             WHEN bool_or(status = 'sent') THEN 'partially_sent' \
             WHEN bool_and(status IN ('failed', 'suppressed')) AND bool_or(status = 'failed') THEN 'failed' \
             ELSE 'pending' END AS status \
           FROM deliveries WHERE notification_id = $1 AND deleted_at IS NULL) s \
         WHERE n.id = $1",
        [notification_id.into()],
    ))
    .await?;
    Ok(())
}

/// Marks a whole notification failed before any delivery exists (no
/// address, say).
pub async fn fail_notification<C: ConnectionTrait>(
    db: &C,
    notification_id: i64,
) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE notifications SET status = 'failed' WHERE id = $1",
        [notification_id.into()],
    ))
    .await?;
    Ok(())
}
