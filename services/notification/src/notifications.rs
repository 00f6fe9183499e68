//! Notifications asked for over HTTP: queued with their `notifications` row
//! and the job in the outbox in one transaction (an `Idempotency-Key` makes
//! a retried request get the first answer), and their status as their
//! recipient sees it.

use actix_web::http::StatusCode;
use dayone_broker::Outbox;
use dayone_model::{BaseEntity, RawEnvelope};
use dayone_web::idempotency::{self, Replay};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, QueryFilter, QueryOrder, TransactionTrait};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::deliveries::{self, JobInfo};
use crate::entities::{delivery, delivery_attempt, notification};
use crate::error::NotificationError;

/// A job ready to queue: its envelope and what its `notifications` row says.
pub struct Job {
    pub id: Uuid,
    /// The message type, its routing key.
    pub kind: &'static str,
    pub channel: &'static str,
    pub category: &'static str,
    pub template: String,
    pub recipient: Option<Uuid>,
    /// The template version it is written with (`None`: a raw push).
    pub template_version: Option<i32>,
    pub envelope: Value,
}

// Also what a repeat with its `Idempotency-Key` gets again.
/// The `202` body.
#[derive(Serialize, ToSchema)]
pub struct Accepted {
    pub uuid: Uuid,
    pub status: &'static str,
}

/// Queues `job` for `sender` (the owner of its idempotency keys). With a
/// key, a repeat of the request hashed as `hash` gets the stored first
/// answer (`Ok(Err(replay))`) and queues nothing; the key with another
/// request is [`NotificationError::KeyReused`].
pub async fn queue(
    db: &DatabaseConnection,
    outbox: &Outbox,
    sender: Uuid,
    key: Option<&str>,
    hash: &str,
    job: Job,
) -> Result<Result<Accepted, Replay>, NotificationError> {
    let envelope: RawEnvelope =
        serde_json::from_value(job.envelope.clone()).map_err(anyhow::Error::new)?;
    let txn = db.begin().await?;
    if let Some(key) = key
        && let Some(replay) = idempotency::claim(&txn, sender, key, hash).await??
    {
        return Ok(Err(replay));
    }
    deliveries::accept(
        &txn,
        &envelope,
        JobInfo {
            channel: job.channel,
            category: job.category,
            template: &job.template,
            recipient: job.recipient,
            template_version: job.template_version,
        },
    )
    .await?;
    outbox
        .enqueue_raw(&txn, job.kind, &job.envelope, job.id)
        .await?;
    let accepted = Accepted {
        uuid: job.id,
        status: "queued",
    };
    if let Some(key) = key {
        let stored = serde_json::to_value(&accepted).unwrap_or(Value::Null);
        idempotency::store(&txn, sender, key, StatusCode::ACCEPTED, &stored).await?;
    }
    txn.commit().await?;
    outbox.wake();
    tracing::info!(notification = %job.id, channel = job.channel, template = %job.template, "notification accepted over HTTP");
    Ok(Ok(accepted))
}

/// The notification if `user` may see it: its recipient, or an admin.
/// Anyone else is told it does not exist.
pub async fn visible(
    db: &DatabaseConnection,
    uuid: Uuid,
    user: Uuid,
    admin: bool,
) -> Result<notification::Model, NotificationError> {
    notification::Entity::find_by_uuid(db, uuid)
        .await?
        .filter(|n| admin || n.recipient_user_uuid == Some(user))
        .ok_or(NotificationError::NotificationNotFound)
}

/// A notification's status per recipient and channel, with every attempt.
pub async fn status(db: &DatabaseConnection, n: notification::Model) -> Result<Value, DbErr> {
    let deliveries = delivery::Entity::active()
        .filter(delivery::Column::NotificationId.eq(n.id))
        .order_by_asc(delivery::Column::Id)
        .all(db)
        .await?;
    let mut shown = Vec::with_capacity(deliveries.len());
    for d in deliveries {
        let attempts = delivery_attempt::Entity::active()
            .filter(delivery_attempt::Column::DeliveryId.eq(d.id))
            .order_by_asc(delivery_attempt::Column::Attempt)
            .all(db)
            .await?;
        shown.push(json!({
            "channel": d.channel,
            "address": d.address,
            "status": d.status,
            "attempts": d.attempts,
            "last_error": d.last_error,
            "provider_id": d.provider_id,
            "not_before": d.not_before,
            "sent_at": d.sent_at,
            "history": attempts.into_iter().map(|a| json!({
                "attempt": a.attempt,
                "outcome": a.outcome,
                "error": a.error,
                "duration_ms": a.duration_ms,
                "at": a.created_at,
            })).collect::<Vec<_>>(),
        }));
    }
    Ok(json!({
        "uuid": n.uuid,
        "channel": n.channel,
        "category": n.category,
        "template": n.template,
        "status": n.status,
        "recipient_user_uuid": n.recipient_user_uuid,
        "created_at": n.created_at,
        "updated_at": n.updated_at,
        "deliveries": shown,
    }))
}
