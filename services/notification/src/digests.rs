//! Digests: a promotional template with a digest window gathers a user's
//! events into one message.
//!
//! The first event for a user, template and channel opens a digest that
//! closes `digest_secs` later; each event inside the window joins it, its
//! notification recorded `digested`. When the window has closed, the sweep
//! writes one [`TemplatedJob`] carrying every event's variables to the
//! outbox and marks the digest sent, in one transaction; the job's id is the
//! digest's, so it is handled once however often it is published.
//! Transactional messages are never digested.
//!
//! A digest keeps the template version its events were accepted with: a
//! publish inside the window starts another digest for the events after it.
//!
//! An event's row lock on its open digest (taken by the upsert) keeps the
//! sweep from closing that digest until the event has joined it; the sweep
//! skips digests another instance is closing.

use dayone_broker::{HandlerError, Incoming};
use dayone_model::Envelope;
use dayone_model::messages::notifications::{
    Category, Channel as MessageChannel, Recipient, TemplatedJob,
};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::deliveries::{self, JobInfo};
use crate::jobs::{Ask, Chosen};
use crate::state::NotifyState;
use crate::statement;

/// Digests closed per sweep at most (the rest wait for the next).
const BATCH: u64 = 100;

/// Adds the job to its user's open digest when its template has a window:
/// `true` when it was held (nothing to send now).
pub(crate) async fn hold(
    state: &NotifyState,
    message: &Incoming,
    ask: &Ask<'_>,
    chosen: &Chosen,
    channel: MessageChannel,
) -> Result<bool, HandlerError> {
    let (Some(window), Category::Promotional, None, Some(user)) = (
        chosen.template.digest_secs,
        chosen.category,
        ask.digest,
        ask.recipient.user_uuid,
    ) else {
        return Ok(false);
    };
    let held = async {
        let txn = state.db.begin().await?;
        let notification = deliveries::accept(
            &txn,
            &message.envelope,
            JobInfo {
                channel: channel.as_str(),
                category: chosen.category.as_str(),
                template: ask.template,
                recipient: Some(user),
                template_version: Some(chosen.version),
            },
        )
        .await?;
        if notification.status != "pending" {
            // A redelivered copy: it joined (or was sent) before.
            return Ok::<_, DbErr>(());
        }
        let digest = txn
            .query_one_raw(statement(
                "INSERT INTO digests (user_uuid, template_id, channel, template_version, window_ends_at) \
                 VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) \
                 ON CONFLICT (user_uuid, template_id, channel, template_version) WHERE sent_at IS NULL \
                 DO UPDATE SET updated_at = now() RETURNING id",
                vec![
                    user.into(),
                    chosen.template.id.into(),
                    channel.as_str().into(),
                    notification.template_version.unwrap_or(chosen.version).into(),
                    f64::from(window).into(),
                ],
            ))
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("digest".into()))?
            .try_get::<i64>("", "id")?;
        txn.execute_raw(statement(
            "INSERT INTO digest_items (digest_id, notification_id, variables) VALUES ($1, $2, $3) \
             ON CONFLICT (notification_id) DO NOTHING",
            vec![
                digest.into(),
                notification.id.into(),
                Value::Object(ask.variables.clone()).into(),
            ],
        ))
        .await?;
        txn.execute_raw(statement(
            "UPDATE notifications SET status = 'digested' WHERE id = $1",
            vec![notification.id.into()],
        ))
        .await?;
        txn.commit().await
    };
    held.await.map_err(|e| HandlerError::Transient(e.into()))?;
    tracing::info!(user_id = %user, template = ask.template, "held for the digest");
    Ok(true)
}

/// Closes the digests whose window has ended: one job each, written to the
/// outbox. Returns how many.
pub async fn release_due(state: &NotifyState) -> Result<usize, DbErr> {
    let txn = state.db.begin().await?;
    let due = txn
        .query_all_raw(statement(
            "SELECT d.id, d.uuid, d.user_uuid, d.channel, d.template_version, t.key FROM digests d \
             JOIN templates t ON t.id = d.template_id \
             WHERE d.sent_at IS NULL AND d.deleted_at IS NULL AND d.window_ends_at <= now() \
             ORDER BY d.window_ends_at LIMIT $1 \
             FOR UPDATE OF d SKIP LOCKED",
            vec![(BATCH as i64).into()],
        ))
        .await?;
    for row in &due {
        let id: i64 = row.try_get("", "id")?;
        let uuid: Uuid = row.try_get("", "uuid")?;
        let user: Uuid = row.try_get("", "user_uuid")?;
        let channel: String = row.try_get("", "channel")?;
        let key: String = row.try_get("", "key")?;
        let version: i32 = row.try_get("", "template_version")?;
        let events: Vec<Map<String, Value>> = txn
            .query_all_raw(statement(
                "SELECT variables FROM digest_items WHERE digest_id = $1 ORDER BY id",
                vec![id.into()],
            ))
            .await?
            .iter()
            .map(|r| {
                r.try_get::<Value>("", "variables").map(|v| match v {
                    Value::Object(map) => map,
                    _ => Map::new(),
                })
            })
            .collect::<Result<_, _>>()?;
        let channel = MessageChannel::ALL
            .into_iter()
            .find(|c| c.as_str() == channel)
            .ok_or_else(|| DbErr::Custom(format!("digest {uuid}: unknown channel {channel}")))?;
        let mut job = Envelope::new(TemplatedJob {
            recipient: Recipient {
                user_uuid: Some(user),
                ..Default::default()
            },
            channel,
            template: key,
            variables: Map::new(),
            locale: None,
            // The version its events were accepted with.
            version: Some(version),
            digest: Some(events),
        });
        // The digest's own id: a second publish lands on the same records.
        job.id = uuid;
        state.outbox.enqueue(&txn, &job).await?;
        txn.execute_raw(statement(
            "UPDATE digests SET sent_at = now() WHERE id = $1",
            vec![id.into()],
        ))
        .await?;
    }
    txn.commit().await?;
    if !due.is_empty() {
        state.outbox.wake();
    }
    Ok(due.len())
}
