//! Turning one notification job into deliveries.
//!
//! Every job follows the same steps: record it (idempotently, by envelope
//! id), find the address(es), skip deliveries already settled (a duplicate
//! job sends nothing twice), apply opt-outs and quiet hours to promotional
//! messages, call the provider, and record the attempt. The consumer acks
//! only after that record is written; a transient failure goes back to the
//! broker's retry queues, a permanent one to the dead-letter queue.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use dayone_broker::{HandlerError, Incoming};
use dayone_model::messages::notifications::{Category, EmailJob, PushJob};
use dayone_model::{BaseEntity, Contract, Envelope};
use sea_orm::{ColumnTrait, DbErr, QueryFilter};
use secrecy::ExposeSecret;

use crate::channels::SendError;
use crate::channels::email::Outgoing;
use crate::channels::sms::{SmsKind, SmsSender};
use crate::deliveries::{self, Accepted, Claim, DeliveryStatus, JobInfo};
use crate::entities::{delivery, device, notification};
use crate::preferences::{self, Channel};
use crate::recipients;
use crate::state::NotifyState;

fn transient(e: DbErr) -> HandlerError {
    HandlerError::Transient(e.into())
}

fn permanent(message: impl Into<String>) -> HandlerError {
    HandlerError::Permanent(anyhow::anyhow!(message.into()))
}

fn decode<P: Contract>(message: &Incoming) -> Result<Envelope<P>, HandlerError> {
    message
        .envelope
        .clone()
        .decode::<P>()
        .map_err(|e| HandlerError::Permanent(e.into()))
}

/// One address of one notification, through one provider call.
struct Target<'a> {
    notification: &'a notification::Model,
    channel: &'static str,
    address: &'a str,
    category: Category,
    /// For promotional messages: whose preferences apply.
    user: Option<uuid::Uuid>,
    preference: Channel,
    /// The delivery when [`deliveries::accept_claiming`] created it
    /// already claimed.
    claimed: Option<delivery::Model>,
}

/// Whether a delivery must pass the user's opt-outs and quiet hours before
/// it is claimed.
fn needs_preferences(category: Category, user: Option<uuid::Uuid>) -> bool {
    category == Category::Promotional && user.is_some()
}

/// The job's notification; a delivery to one address that needs no
/// preference check is created, already claimed, in the same round trip.
async fn accept_to(
    state: &NotifyState,
    message: &Incoming,
    info: JobInfo<'_>,
    category: Category,
    address: &str,
) -> Result<Accepted, HandlerError> {
    if needs_preferences(category, info.recipient) {
        let notification = deliveries::accept(&state.db, &message.envelope, info)
            .await
            .map_err(transient)?;
        return Ok(Accepted {
            notification,
            claimed: None,
        });
    }
    deliveries::accept_claiming(
        &state.db,
        &message.envelope,
        info,
        address,
        state.claim_lease(),
    )
    .await
    .map_err(transient)
}

/// Delivers to one target unless already settled; promotional messages
/// honour opt-outs (suppressed) and quiet hours (deferred). The provider is
/// called only under a claim (see `deliveries`); `send` gets the delivery's
/// uuid, the key that stays the same for every resend of it.
async fn deliver<F>(
    state: &NotifyState,
    mut target: Target<'_>,
    message: &Incoming,
    send: impl FnOnce(uuid::Uuid) -> F,
) -> Result<Result<(), SendError>, HandlerError>
where
    F: Future<Output = Result<String, SendError>>,
{
    let delivery = match target.claimed.take() {
        Some(delivery) => delivery,
        None => match claim(state, &target, message).await? {
            Some(delivery) => delivery,
            None => return Ok(Ok(())),
        },
    };
    let lease = state.claim_lease();
    let last_try = message.attempt >= state.max_attempts;
    let result = deliveries::attempt(&state.db, &delivery, last_try, lease, send(delivery.uuid))
        .await
        .map_err(transient)?;
    match &result {
        Ok(_) => {
            tracing::info!(notification = %target.notification.uuid, channel = target.channel, "delivered")
        }
        Err(e) => {
            tracing::warn!(notification = %target.notification.uuid, channel = target.channel, error = %e, "delivery failed")
        }
    }
    Ok(result.map(|_| ()))
}

/// Finds (or creates) the target's delivery and claims it: `None` when
/// there is nothing to send (settled before, suppressed or deferred).
async fn claim(
    state: &NotifyState,
    target: &Target<'_>,
    message: &Incoming,
) -> Result<Option<delivery::Model>, HandlerError> {
    let db = &state.db;
    let delivery =
        deliveries::delivery_for(db, target.notification, target.channel, target.address)
            .await
            .map_err(transient)?;
    let retry_failed = message.replayed && delivery.status == DeliveryStatus::Failed;
    if delivery.status.is_final() && !retry_failed {
        // Settled before: nothing to send, but the notification's status may
        // be stale (a crash between the two writes of an older version).
        deliveries::refresh_status(db, delivery.notification_id)
            .await
            .map_err(transient)?;
        tracing::info!(delivery = %delivery.uuid, status = delivery.status.as_str(), "already settled; not sending again");
        return Ok(None);
    }
    if target.category == Category::Promotional
        && let Some(user) = target.user
    {
        let prefs = preferences::of(db, user).await.map_err(transient)?;
        if !preferences::allows(prefs.as_ref(), target.preference) {
            deliveries::mark(
                db,
                &delivery,
                DeliveryStatus::Suppressed,
                Some("the user opted out of promotional messages"),
                None,
            )
            .await
            .map_err(transient)?;
            tracing::info!(user_id = %user, channel = target.channel, "promotional message suppressed by opt-out");
            return Ok(None);
        }
        if let Some(until) = preferences::quiet_until(prefs.as_ref(), Utc::now()) {
            deliveries::mark(db, &delivery, DeliveryStatus::Deferred, None, Some(until))
                .await
                .map_err(transient)?;
            tracing::info!(user_id = %user, until = %until, "promotional message deferred to the end of quiet hours");
            return Ok(None);
        }
    }
    match deliveries::claim(db, &delivery, state.claim_lease(), retry_failed)
        .await
        .map_err(transient)?
    {
        Claim::Claimed => Ok(Some(delivery)),
        Claim::Settled(settled) => {
            tracing::info!(delivery = %delivery.uuid, status = settled.as_str(), "settled by another copy; not sending again");
            Ok(None)
        }
        Claim::Busy(wait) => {
            // Another worker is calling the provider, or died doing so: look
            // again once its lease may have run out, without using a try.
            Err(HandlerError::Busy(
                format!("delivery {} is being sent by another worker", delivery.uuid),
                wait + Duration::from_millis(100),
            ))
        }
    }
}

/// A job with no address to send to. A user's address may only not have
/// reached the contact projection yet (their `user.registered` event comes
/// on another queue), so such a job is tried again until its last try;
/// then, or at once for a job naming nobody, its notification is recorded
/// failed and the job goes to the dead letters.
async fn nowhere_to_send(
    state: &NotifyState,
    message: &Incoming,
    info: JobInfo<'_>,
    why: &str,
) -> HandlerError {
    let later = info.recipient.is_some() && message.attempt < state.max_attempts;
    let recorded = async {
        let notification = deliveries::accept(&state.db, &message.envelope, info).await?;
        if !later {
            deliveries::fail_notification(&state.db, notification.id).await?;
        }
        Ok::<_, DbErr>(())
    };
    match recorded.await {
        Ok(()) if later => HandlerError::Transient(anyhow::anyhow!(
            "{why} yet (the contact may not be projected yet)"
        )),
        Ok(()) => permanent(why),
        Err(e) => transient(e),
    }
}

/// A provider failure as the consumer's outcome.
fn outcome(result: Result<(), SendError>) -> Result<(), HandlerError> {
    match result {
        Ok(()) | Err(SendError::InvalidToken(_)) => Ok(()),
        Err(SendError::Transient(e)) => Err(HandlerError::Transient(anyhow::anyhow!(e))),
        Err(SendError::Permanent(e)) => Err(permanent(e)),
    }
}

pub async fn email(state: &NotifyState, message: Incoming) -> Result<(), HandlerError> {
    let job = decode::<EmailJob>(&message)?;
    let template_name = job.payload.template.name();
    let category = job.payload.template.category();
    let recipient = &job.payload.recipient;
    let info = JobInfo {
        channel: "email",
        category: category.as_str(),
        template: template_name,
        recipient: recipient.user_uuid,
    };
    let Some((address, name)) = recipients::email(&state.db, recipient)
        .await
        .map_err(transient)?
    else {
        return Err(
            nowhere_to_send(state, &message, info, "no email address for the recipient").await,
        );
    };
    let Accepted {
        notification,
        claimed,
    } = accept_to(state, &message, info, category, &address).await?;
    let unsubscribe_url = match (category, recipient.user_uuid) {
        (Category::Promotional, Some(user)) => Some(format!(
            "{}/v1/notifications/unsubscribe?token={}",
            state.public_url.trim_end_matches('/'),
            preferences::unsubscribe_token(
                state.settings.unsubscribe_secret.expose_secret(),
                user,
                Channel::Email
            )
        )),
        _ => None,
    };
    let content = state
        .templates
        .email(
            &job.payload.template,
            name.as_deref(),
            unsubscribe_url.as_deref(),
        )
        .map_err(|e| HandlerError::Permanent(e.context("template")))?;
    tracing::info!(
        notification = %notification.uuid,
        user_id = ?recipient.user_uuid,
        template = %template_name,
        "sending {template_name} email"
    );
    let sent = deliver(
        state,
        Target {
            notification: &notification,
            channel: "email",
            address: &address,
            category,
            user: recipient.user_uuid,
            preference: Channel::Email,
            claimed,
        },
        &message,
        |_| {
            state.email.send(Outgoing {
                id: notification.uuid,
                to: &address,
                to_name: name.as_deref(),
                content: &content,
                unsubscribe_url: unsubscribe_url.as_deref(),
            })
        },
    )
    .await?;
    outcome(sent)
}

pub async fn sms<K>(
    state: &NotifyState,
    sender: &SmsSender<K>,
    category: Category,
    message: Incoming,
) -> Result<(), HandlerError>
where
    K: SmsKind,
    K::Job: Contract,
{
    let job = decode::<K::Job>(&message)?;
    let recipient = K::recipient(&job.payload);
    let template = K::template(&job.payload);
    let info = JobInfo {
        channel: "sms",
        category: category.as_str(),
        template,
        recipient: recipient.user_uuid,
    };
    let Some(phone) = recipients::phone(&state.db, recipient)
        .await
        .map_err(transient)?
    else {
        return Err(
            nowhere_to_send(state, &message, info, "no phone number for the recipient").await,
        );
    };
    let Accepted {
        notification,
        claimed,
    } = accept_to(state, &message, info, category, &phone).await?;
    tracing::info!(notification = %notification.uuid, user_id = ?recipient.user_uuid, template = %template, kind = K::NAME, "sending SMS");
    let sent = deliver(
        state,
        Target {
            notification: &notification,
            channel: "sms",
            address: &phone,
            category,
            user: recipient.user_uuid,
            preference: Channel::Sms,
            claimed,
        },
        &message,
        |key| sender.send(&phone, &job.payload, key),
    )
    .await?;
    outcome(sent)
}

pub async fn push(state: &NotifyState, message: Incoming) -> Result<(), HandlerError> {
    let job = decode::<PushJob>(&message)?;
    let push = &job.payload;
    let Some(user) = push.recipient.user_uuid else {
        return Err(permanent("a push job needs recipient.user_uuid"));
    };
    let notification = deliveries::accept(
        &state.db,
        &message.envelope,
        JobInfo {
            channel: "push",
            category: push.category.as_str(),
            template: "push",
            recipient: Some(user),
        },
    )
    .await
    .map_err(transient)?;
    let devices = device::Entity::active()
        .filter(device::Column::UserUuid.eq(user))
        .all(&state.db)
        .await
        .map_err(transient)?;
    if devices.is_empty() {
        deliveries::fail_notification(&state.db, notification.id)
            .await
            .map_err(transient)?;
        tracing::info!(user_id = %user, "no registered devices; nothing to push");
        return Ok(());
    }
    // Every device's delivery exists before the first is tried, so the
    // notification never reads as finished while some are still to go.
    for device in &devices {
        deliveries::delivery_for(&state.db, &notification, "push", &device.token)
            .await
            .map_err(transient)?;
    }
    let mut retry = None;
    for device in devices {
        let token = device.token.as_str();
        let platform = device.platform.as_str();
        let send = move |key| async move {
            match (platform, &state.apns, &state.fcm) {
                ("ios", Some(apns), _) => {
                    apns.send(token, &push.title, &push.body, &push.data, key)
                        .await
                }
                ("android", _, Some(fcm)) => {
                    fcm.send(token, &push.title, &push.body, &push.data, key)
                        .await
                }
                (platform, _, _) => Err(SendError::Permanent(format!(
                    "no push provider configured for {platform}"
                ))),
            }
        };
        let result = deliver(
            state,
            Target {
                notification: &notification,
                channel: "push",
                address: &device.token,
                category: push.category,
                user: Some(user),
                preference: Channel::Push,
                claimed: None,
            },
            &message,
            send,
        )
        .await?;
        match result {
            Err(SendError::InvalidToken(reason)) => {
                device::Entity::soft_delete(&state.db, device.uuid)
                    .await
                    .map_err(transient)?;
                tracing::info!(user_id = %user, platform = %device.platform, reason = %reason, "device token removed");
            }
            Err(SendError::Transient(e)) => retry = Some(e),
            Err(SendError::Permanent(e)) => {
                tracing::error!(user_id = %user, error = %e, "push failed permanently")
            }
            Ok(()) => {}
        }
    }
    // Devices already reached are settled: a retry only tries the others.
    match retry {
        Some(e) => Err(HandlerError::Transient(anyhow::anyhow!(e))),
        None => Ok(()),
    }
}

/// The `Handler` for each queue.
pub mod handlers {
    use super::*;
    use dayone_broker::{Handler, Outcome};

    pub struct Email(pub Arc<NotifyState>);
    pub struct SmsTransactional(pub Arc<NotifyState>);
    pub struct SmsPromotional(pub Arc<NotifyState>);
    pub struct Push(pub Arc<NotifyState>);

    impl Handler for Email {
        async fn handle(&self, message: Incoming) -> Outcome {
            email(&self.0, message).await.into()
        }
    }

    impl Handler for SmsTransactional {
        async fn handle(&self, message: Incoming) -> Outcome {
            sms(
                &self.0,
                &self.0.sms_transactional,
                Category::Transactional,
                message,
            )
            .await
            .into()
        }
    }

    impl Handler for SmsPromotional {
        async fn handle(&self, message: Incoming) -> Outcome {
            sms(
                &self.0,
                &self.0.sms_promotional,
                Category::Promotional,
                message,
            )
            .await
            .into()
        }
    }

    impl Handler for Push {
        async fn handle(&self, message: Incoming) -> Outcome {
            push(&self.0, message).await.into()
        }
    }
}
