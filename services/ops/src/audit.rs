//! The audit log: every admin action (who, what, to what, when, in which
//! request, and how it ended), kept in PostgreSQL and only ever added to.
//! The console records what it does itself (sign-in, dead letters) and the
//! calls it forwarded that failed; each service reports what its admin API
//! did (`audit.admin-acted`, consumed by `consumers/audit.rs`), from the
//! console or from anyone else's client.

use chrono::{DateTime, Utc};
use dayone_model::Envelope;
use dayone_model::messages::audit::AdminActed;
use dayone_telemetry::RequestContext;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::sessions::Admin;

/// One admin action.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Entry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_uuid: Uuid,
    /// Empty for an admin who has not signed in to the console.
    pub actor_email: String,
    /// What was done, e.g. `dead_letter.replay`.
    pub action: String,
    /// What it was done to, e.g. a queue's name.
    pub target: String,
    /// The gateway's request id of the request that did it.
    pub request_id: String,
    /// `done`, or what went wrong.
    pub outcome: String,
    /// The service that did it.
    pub service: String,
}

/// Records that `admin` did `action` to `target`, in the current request.
pub async fn record(
    db: &DatabaseConnection,
    admin: &Admin,
    action: &str,
    target: &str,
    outcome: &str,
) -> Result<(), DbErr> {
    let request_id = RequestContext::current_request_id().unwrap_or_default();
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO audit_log (actor_uuid, actor_email, action, target, request_id, outcome)
         VALUES ($1, $2, $3, $4, $5, $6)",
        [
            admin.uuid.into(),
            admin.email.clone().into(),
            action.into(),
            target.into(),
            request_id.into(),
            outcome.into(),
        ],
    ))
    .await?;
    tracing::info!(action, target, outcome, by = %admin.uuid, "admin action");
    Ok(())
}

/// Records an action a service reported: `false` when this event was
/// recorded already (a redelivery). The admin's email is the one their
/// latest console sign-in recorded, if any.
pub async fn record_reported(
    db: &DatabaseConnection,
    event: &Envelope<AdminActed>,
) -> Result<bool, DbErr> {
    let act = &event.payload;
    let inserted = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO audit_log (at, actor_uuid, actor_email, action, target, request_id, outcome, service, event_id)
             VALUES ($1, $2, COALESCE((SELECT actor_email FROM audit_log
                                       WHERE actor_uuid = $2 AND actor_email <> ''
                                       ORDER BY id DESC LIMIT 1), ''),
                     $3, $4, $5, 'done', $6, $7)
             ON CONFLICT (event_id) DO NOTHING",
            [
                event.occurred_at.into(),
                act.actor_uuid.into(),
                act.action.clone().into(),
                act.target.clone().into(),
                act.request_id.clone().into(),
                act.service.clone().into(),
                event.id.into(),
            ],
        ))
        .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The newest entries first: `limit` of them, older than entry `before`.
pub async fn recent(
    db: &DatabaseConnection,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<Entry>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id, at, actor_uuid, actor_email, action, target, request_id, outcome, service
             FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2",
            [before.unwrap_or(i64::MAX).into(), (limit as i64).into()],
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Entry {
                id: row.try_get("", "id")?,
                at: row.try_get("", "at")?,
                actor_uuid: row.try_get("", "actor_uuid")?,
                actor_email: row.try_get("", "actor_email")?,
                action: row.try_get("", "action")?,
                target: row.try_get("", "target")?,
                request_id: row.try_get("", "request_id")?,
                outcome: row.try_get("", "outcome")?,
                service: row.try_get("", "service")?,
            })
        })
        .collect()
}
