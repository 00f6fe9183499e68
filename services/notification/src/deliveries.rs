//! The record of what was accepted and what happened to it.
//!
//! A job becomes a `notifications` row keyed by its envelope id, and one
//! `deliveries` row per address. Before its provider is called a delivery is
//! claimed: moved to `sending` with a lease by one conditional `UPDATE`, so
//! of two copies of one job handled at the same moment only one calls the
//! provider. The outcome, its attempt row and the notification's status are
//! written in one transaction. A claim whose worker died (killed between the
//! call and the record) is taken over when its lease runs out, and the resend
//! carries the same Message-ID or provider key so the far side can drop it.
//! A redelivered job that finds its delivery settled sends nothing and
//! brings a stale notification status up to date; only an operator's replay
//! tries a `failed` delivery again, and nothing ever resends a `sent` one.
//!
//! Deliveries are never soft-deleted (retention deletes whole notifications),
//! so their statements do not filter on `deleted_at`: that filter matches
//! the table's partial index of live rows, and a plan made before the
//! table has statistics would read that whole index on every statement.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use dayone_model::RawEnvelope;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, FromQueryResult, Statement};
use uuid::Uuid;

use crate::channels::SendError;
use crate::entities::{delivery, notification};

pub use crate::entities::delivery::DeliveryStatus;

/// What a job is, for its `notifications` row.
pub struct JobInfo<'a> {
    pub channel: &'a str,
    pub category: &'a str,
    pub template: &'a str,
    pub recipient: Option<Uuid>,
    /// The template version to keep for it (`None`: raw push).
    pub template_version: Option<i32>,
}

/// The row of this job (created on first sight; the envelope id makes it
/// idempotent).
pub async fn accept<C: ConnectionTrait>(
    db: &C,
    envelope: &RawEnvelope,
    info: JobInfo<'_>,
) -> Result<notification::Model, DbErr> {
    // One round trip: the new row, or the one an earlier copy made.
    let row = job_row(db, ACCEPT.as_str(), envelope, info, Vec::new()).await?;
    notification::Model::from_query_result(&row, "")
}

/// Runs a statement that starts with [`NOTIFICATION_ROW`]: its first seven
/// parameters are the job's, then `more`.
async fn job_row<C: ConnectionTrait>(
    db: &C,
    sql: &str,
    envelope: &RawEnvelope,
    info: JobInfo<'_>,
    more: Vec<sea_orm::Value>,
) -> Result<sea_orm::QueryResult, DbErr> {
    let job = serde_json::to_value(envelope).map_err(|e| DbErr::Custom(e.to_string()))?;
    let mut values: Vec<sea_orm::Value> = vec![
        envelope.id.into(),
        info.channel.into(),
        info.category.into(),
        info.template.into(),
        info.recipient.into(),
        job.into(),
        info.template_version.into(),
    ];
    values.extend(more);
    db.query_one_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values,
    ))
    .await?
    .ok_or_else(|| DbErr::RecordNotFound(format!("notification {}", envelope.id)))
}

/// `n`: the job's notification, inserted by this statement or found.
const NOTIFICATION_ROW: &str = "WITH created AS ( \
       INSERT INTO notifications (uuid, channel, category, template, recipient_user_uuid, job, template_version, status) \
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending') ON CONFLICT (uuid) DO NOTHING RETURNING *), \
     n AS ( \
       SELECT * FROM created UNION ALL \
       SELECT * FROM notifications WHERE uuid = $1 AND deleted_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM created) \
       LIMIT 1)";

static ACCEPT: LazyLock<String> = LazyLock::new(|| format!("{NOTIFICATION_ROW} SELECT * FROM n"));

/// A job's notification, and its one delivery when that was new and so
/// claimed in the same statement.
pub struct Accepted {
    pub notification: notification::Model,
    /// `Some`: created `sending` under this worker's lease; call the
    /// provider. `None`: it existed (a redelivered job): claim it as usual.
    pub claimed: Option<delivery::Model>,
}

/// [`accept`] for a job with one address: in the same round trip the
/// delivery is created already claimed (a row nobody else has seen can only
/// be this worker's). Only for deliveries that need no preference check
/// first; a redelivered job finds its delivery and gets `claimed: None`.
pub async fn accept_claiming(
    db: &DatabaseConnection,
    envelope: &RawEnvelope,
    info: JobInfo<'_>,
    address: &str,
    lease: Duration,
) -> Result<Accepted, DbErr> {
    let more = vec![address.into(), lease.as_secs_f64().into()];
    let row = job_row(db, ACCEPT_CLAIMING.as_str(), envelope, info, more).await?;
    Ok(Accepted {
        notification: notification::Model::from_query_result(&row, "n_")?,
        claimed: delivery::Model::from_query_result_optional(&row, "d_")?,
    })
}

/// The statement behind [`accept_claiming`], built once: both rows' columns
/// under the prefixes `n_` and `d_`.
static ACCEPT_CLAIMING: LazyLock<String> = LazyLock::new(|| {
    use sea_orm::{IdenStatic, Iterable};
    let columns = |table: &str, prefix: &str, names: Vec<&str>| {
        names
            .iter()
            .map(|c| format!("{table}.{c} AS {prefix}{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "{NOTIFICATION_ROW}, \
         d AS ( \
           INSERT INTO deliveries (notification_id, channel, address, status, lease_until) \
           SELECT id, $2, $8, 'sending', now() + make_interval(secs => $9) FROM n \
           ON CONFLICT (notification_id, channel, address) DO NOTHING RETURNING *) \
         SELECT {}, {} FROM n LEFT JOIN d ON true",
        columns(
            "n",
            "n_",
            notification::Column::iter().map(|c| c.as_str()).collect()
        ),
        columns(
            "d",
            "d_",
            delivery::Column::iter().map(|c| c.as_str()).collect()
        ),
    )
});

/// The delivery of `notification` to `address` on `channel`.
pub async fn delivery_for(
    db: &DatabaseConnection,
    notification: &notification::Model,
    channel: &str,
    address: &str,
) -> Result<delivery::Model, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "WITH created AS ( \
               INSERT INTO deliveries (notification_id, channel, address, status) VALUES ($1, $2, $3, 'pending') \
               ON CONFLICT (notification_id, channel, address) DO NOTHING RETURNING *) \
             SELECT * FROM created UNION ALL \
             SELECT * FROM deliveries WHERE notification_id = $1 AND channel = $2 AND address = $3 \
               AND NOT EXISTS (SELECT 1 FROM created) \
             LIMIT 1",
            [notification.id.into(), channel.into(), address.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("delivery".into()))?;
    delivery::Model::from_query_result(&row, "")
}

/// Sets a delivery's state without an attempt (suppressed, deferred, or a
/// failure found before any provider call).
pub async fn mark(
    db: &DatabaseConnection,
    delivery: &delivery::Model,
    status: DeliveryStatus,
    error: Option<&str>,
    not_before: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE deliveries SET status = $2, last_error = $3, not_before = $4 \
         WHERE id = $1 AND status IN ('pending', 'retrying', 'deferred')",
        [
            delivery.id.into(),
            status.as_str().into(),
            error.into(),
            not_before.into(),
        ],
    ))
    .await?;
    refresh_status(db, delivery.notification_id).await
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// This worker holds the delivery now: call the provider.
    Claimed,
    /// Nothing more to do: it ended in this state (and the notification's
    /// status was brought up to date).
    Settled(DeliveryStatus),
    /// Another worker holds it; its lease runs out after this long.
    Busy(Duration),
}

/// Claims `delivery` for one provider call: `pending`, `retrying` and
/// `deferred` deliveries, a `sending` one whose lease ran out, and with
/// `retry_failed` (an operator's replay) a `failed` one.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    delivery: &delivery::Model,
    lease: Duration,
    retry_failed: bool,
) -> Result<Claim, DbErr> {
    let claimed = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE deliveries SET status = 'sending', lease_until = now() + make_interval(secs => $2) \
             WHERE id = $1 AND ( \
               status IN ('pending', 'retrying', 'deferred') \
               OR (status = 'sending' AND lease_until < now()) \
               OR ($3 AND status = 'failed')) \
             RETURNING id",
            [
                delivery.id.into(),
                lease.as_secs_f64().into(),
                retry_failed.into(),
            ],
        ))
        .await?;
    if claimed.is_some() {
        return Ok(Claim::Claimed);
    }
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT status, GREATEST(EXTRACT(EPOCH FROM (lease_until - now())), 0)::float8 AS wait \
             FROM deliveries WHERE id = $1",
            [delivery.id.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("delivery {}", delivery.uuid)))?;
    let state: String = row.try_get("", "status")?;
    if let Some(settled) = DeliveryStatus::from_text(&state).filter(|s| s.is_final()) {
        refresh_status(db, delivery.notification_id).await?;
        return Ok(Claim::Settled(settled));
    }
    let wait: Option<f64> = row.try_get("", "wait")?;
    Ok(Claim::Busy(Duration::from_secs_f64(
        wait.unwrap_or(0.0).clamp(0.0, 3600.0),
    )))
}

/// Runs one provider call for a claimed `delivery` and records it as an
/// attempt. A transient failure on the last allowed attempt is recorded as
/// failed. While the database cannot take the record (PostgreSQL down), the
/// record is tried again for up to `lease`, the time nobody else may take
/// the delivery over: a call that succeeded is not made again because its
/// record was late.
pub async fn attempt<F>(
    db: &DatabaseConnection,
    delivery: &delivery::Model,
    last_try: bool,
    lease: Duration,
    send: F,
) -> Result<Result<String, SendError>, DbErr>
where
    F: Future<Output = Result<String, SendError>>,
{
    let started = Instant::now();
    let result = send.await;
    let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    let (outcome, state, error, provider_id) = match &result {
        Ok(id) => ("sent", DeliveryStatus::Sent, None, Some(id.clone())),
        Err(SendError::Transient(e)) if !last_try => (
            "transient_error",
            DeliveryStatus::Retrying,
            Some(e.clone()),
            None,
        ),
        Err(SendError::Transient(e)) => (
            "transient_error",
            DeliveryStatus::Failed,
            Some(format!("gave up: {e}")),
            None,
        ),
        Err(SendError::Permanent(e)) => (
            "permanent_error",
            DeliveryStatus::Failed,
            Some(e.clone()),
            None,
        ),
        Err(SendError::InvalidToken(e)) => (
            "invalid_token",
            DeliveryStatus::Failed,
            Some(format!("device token rejected: {e}")),
            None,
        ),
    };
    let record = Outcome {
        state,
        outcome,
        error,
        provider_id,
        duration_ms,
    };
    let deadline = Instant::now() + lease;
    let mut pause = Duration::from_millis(100);
    loop {
        match record_outcome(db, delivery, &record).await {
            Ok(()) => break,
            Err(error) if Instant::now() + pause < deadline => {
                tracing::warn!(delivery = %delivery.uuid, outcome, error = %error, "could not record the outcome yet; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
            Err(error) => return Err(error),
        }
    }
    metrics::counter!("notification_deliveries_total", "channel" => delivery.channel.clone(), "outcome" => outcome)
        .increment(1);
    Ok(result)
}

/// One provider call's result, as recorded.
struct Outcome {
    state: DeliveryStatus,
    outcome: &'static str,
    error: Option<String>,
    provider_id: Option<String>,
    duration_ms: i32,
}

/// The delivery's new state, its attempt row and the notification's status,
/// in one statement (so one transaction and one round trip). The status is
/// computed from the other deliveries plus this one's new state, since the
/// statement's own snapshot does not see its update. A `sent` delivery
/// stays sent whatever a late copy reports.
async fn record_outcome(
    db: &DatabaseConnection,
    delivery: &delivery::Model,
    record: &Outcome,
) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        RECORD_OUTCOME.as_str(),
        [
            delivery.id.into(),
            record.state.as_str().into(),
            record.error.clone().into(),
            record.provider_id.clone().into(),
            record.outcome.into(),
            record.duration_ms.into(),
            delivery.notification_id.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// The statement behind [`record_outcome`], built once.
static RECORD_OUTCOME: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH d AS ( \
           UPDATE deliveries SET \
             status = CASE WHEN status = 'sent' THEN status ELSE $2 END, \
             last_error = CASE WHEN status = 'sent' THEN last_error ELSE $3 END, \
             provider_id = COALESCE($4, provider_id), \
             attempts = attempts + 1, not_before = NULL, lease_until = NULL, \
             sent_at = CASE WHEN $2 = 'sent' THEN COALESCE(sent_at, now()) ELSE sent_at END \
           WHERE id = $1 \
           RETURNING id, attempts, notification_id, status), \
         a AS ( \
           INSERT INTO delivery_attempts (delivery_id, attempt, outcome, error, duration_ms) \
           SELECT id, attempts, $5, $3, $6 FROM d) \
         UPDATE notifications n SET status = s.status FROM ( \
           SELECT {aggregate} FROM ( \
             SELECT status FROM deliveries \
             WHERE notification_id = $7 AND id <> $1 \
             UNION ALL SELECT status FROM d) all_deliveries) s \
         WHERE n.id = $7",
        aggregate = STATUS_OF_DELIVERIES,
    )
});

/// A notification's status from its deliveries' `status` column: `pending`
/// while any is on its way, then `deferred`, `sent`, `suppressed`, `failed`
/// or `partially_sent`.
const STATUS_OF_DELIVERIES: &str = "CASE \
     WHEN bool_or(status IN ('pending', 'retrying', 'sending')) THEN 'pending' \
     WHEN bool_or(status = 'deferred') THEN 'deferred' \
     WHEN bool_and(status = 'sent') THEN 'sent' \
     WHEN bool_and(status = 'suppressed') THEN 'suppressed' \
     WHEN bool_or(status = 'sent') THEN 'partially_sent' \
     WHEN bool_and(status IN ('failed', 'suppressed')) AND bool_or(status = 'failed') THEN 'failed' \
     ELSE 'pending' END AS status";

/// The statement behind [`refresh_status`], built once.
static REFRESH_STATUS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE notifications n SET status = s.status FROM ( \
           SELECT {STATUS_OF_DELIVERIES} FROM deliveries \
           WHERE notification_id = $1) s \
         WHERE n.id = $1"
    )
});

/// A notification's status from its deliveries: `pending` while any is on
/// its way, then `sent`, `suppressed`, `failed` or `partially_sent`.
pub async fn refresh_status<C: ConnectionTrait>(db: &C, notification_id: i64) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        REFRESH_STATUS.as_str(),
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
