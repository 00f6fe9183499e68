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
use dayone_model::messages::notifications::{
    Category, Channel as MessageChannel, EmailJob, PushJob, Recipient, TemplatedJob,
};
use dayone_model::{BaseEntity, Contract, Envelope};
use sea_orm::{ColumnTrait, DbErr, QueryFilter};
use secrecy::ExposeSecret;
use serde_json::{Map, Value};

use crate::channels::SendError;
use crate::channels::email::Outgoing;
use crate::channels::sms::{SmsKind, SmsSender, SmsText};
use crate::deliveries::{self, Accepted, Claim, DeliveryStatus, JobInfo};
use crate::entities::{delivery, device, notification, template};
use crate::preferences::{self, Channel};
use crate::recipients;
use crate::state::NotifyState;
use crate::templates::store::{TemplateError, Templates};
use crate::templates::{self, Compiled, RenderError, RenderedPush, builtin};
use crate::{digests, inbox};

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
    /// The opt-out that applies; `None`: none does (the inbox, where items
    /// wait silently, has neither opt-outs nor quiet hours).
    preference: Option<Channel>,
    /// The template's topic, which the user may have opted out of on this
    /// channel (promotional messages only).
    topic: Option<&'a str>,
    /// The delivery when [`deliveries::accept_claiming`] created it
    /// already claimed.
    claimed: Option<delivery::Model>,
}

/// Whether a delivery must pass the user's opt-outs and quiet hours before
/// it is claimed.
fn needs_preferences(
    category: Category,
    user: Option<uuid::Uuid>,
    preference: Option<Channel>,
    topic: Option<&str>,
) -> bool {
    category == Category::Promotional && user.is_some() && (preference.is_some() || topic.is_some())
}

/// The job's notification; a delivery to one address that needs no
/// preference check is created, already claimed, in the same round trip.
async fn accept_to(
    state: &NotifyState,
    message: &Incoming,
    info: JobInfo<'_>,
    category: Category,
    preference: Option<Channel>,
    topic: Option<&str>,
    address: &str,
) -> Result<Accepted, HandlerError> {
    if needs_preferences(category, info.recipient, preference, topic) {
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
        && let Some(preference) = target.preference
    {
        let prefs = preferences::of(db, user).await.map_err(transient)?;
        if !preferences::allows(prefs.as_ref(), preference) {
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
    if target.category == Category::Promotional
        && let (Some(user), Some(topic)) = (target.user, target.topic)
        && !preferences::topic_allows(db, user, topic, target.channel)
            .await
            .map_err(transient)?
    {
        let why = format!("the user opted out of {topic} on {}", target.channel);
        deliveries::mark(db, &delivery, DeliveryStatus::Suppressed, Some(&why), None)
            .await
            .map_err(transient)?;
        tracing::info!(user_id = %user, topic, channel = target.channel, "promotional message suppressed by a topic opt-out");
        return Ok(None);
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

/// What a job asks to be said: a template and its variables.
pub struct Ask<'a> {
    pub recipient: &'a Recipient,
    /// The template's key.
    pub template: &'a str,
    pub variables: Map<String, Value>,
    /// The version the job was made with; `None`: the published one.
    pub version: Option<i32>,
    /// The language when the recipient is no user with one.
    pub locale: Option<&'a str>,
    /// A typed job's category: its template must be of it.
    pub category: Option<Category>,
    /// A digest's events (never digested again).
    pub digest: Option<&'a [Map<String, Value>]>,
}

impl Ask<'_> {
    /// Checks the variables (each event's, for a digest) against `compiled`.
    fn check(&self, compiled: &Compiled) -> Result<(), Vec<templates::Problem>> {
        match self.digest {
            None => compiled.check(&self.variables),
            Some(events) => compiled.check_each(events),
        }
    }

    /// What the template renders with: the variables, or a digest's
    /// events as `items` and `count`.
    fn values(&self) -> Map<String, Value> {
        match self.digest {
            None => self.variables.clone(),
            Some(events) => Map::from_iter([
                (
                    "items".to_owned(),
                    Value::Array(events.iter().cloned().map(Value::Object).collect()),
                ),
                ("count".to_owned(), Value::from(events.len())),
            ]),
        }
    }
}

/// The template a job names, and the version its notification keeps.
pub(crate) struct Chosen {
    pub(crate) template: template::Model,
    pub(crate) version: i32,
    pub(crate) category: Category,
}

fn template_error(e: TemplateError) -> HandlerError {
    match e {
        TemplateError::Database(e) => transient(e),
        e => HandlerError::Permanent(e.into()),
    }
}

/// Finds the job's template and the version to use, before the
/// notification is recorded (the row keeps the version).
async fn choose(state: &NotifyState, ask: &Ask<'_>) -> Result<Chosen, HandlerError> {
    let template = Templates::find(&state.db, ask.template)
        .await
        .map_err(template_error)?;
    let category = templates::store::category(&template);
    if let Some(wanted) = ask.category
        && wanted != category
    {
        return Err(permanent(format!(
            "template `{}` is {}; this job needs a {} one",
            ask.template,
            category.as_str(),
            wanted.as_str()
        )));
    }
    let version = ask
        .version
        .or(template.published_version)
        .ok_or_else(|| template_error(TemplateError::Unpublished(ask.template.to_owned())))?;
    Ok(Chosen {
        template,
        version,
        category,
    })
}

/// The version the notification kept, compiled, once the job's variables
/// are checked against it. A job that cannot be written (no such version,
/// no part for the channel, wrong variables) fails its notification and
/// goes to the dead letters with the reason.
async fn wording(
    state: &NotifyState,
    chosen: &Chosen,
    notification: &notification::Model,
    ask: &Ask<'_>,
    channel: MessageChannel,
) -> Result<Arc<Compiled>, HandlerError> {
    let version = notification.template_version.unwrap_or(chosen.version);
    let checked = match state
        .templates
        .compiled(&state.db, &chosen.template, version)
        .await
    {
        Err(TemplateError::Database(e)) => return Err(transient(e)),
        Err(e) => Err(e.to_string()),
        Ok(compiled) if !compiled.has(channel) => Err(format!(
            "template `{}` version {version} has no {} part",
            ask.template,
            channel.as_str()
        )),
        Ok(compiled) => match ask.check(&compiled) {
            Ok(()) => Ok(compiled),
            Err(problems) => Err(format!(
                "the variables do not fit template `{}` version {version}: {}",
                ask.template,
                problems
                    .iter()
                    .map(|(f, m)| format!("{f} {m}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
        },
    };
    match checked {
        Ok(compiled) => Ok(compiled),
        Err(why) => {
            deliveries::fail_notification(&state.db, notification.id)
                .await
                .map_err(transient)?;
            Err(permanent(why))
        }
    }
}

fn info<'a>(channel: &'a str, ask: &'a Ask<'_>, chosen: &Chosen) -> JobInfo<'a> {
    JobInfo {
        channel,
        category: chosen.category.as_str(),
        template: ask.template,
        recipient: ask.recipient.user_uuid,
        template_version: Some(chosen.version),
    }
}

fn unrenderable(e: RenderError) -> HandlerError {
    HandlerError::Permanent(e.into())
}

pub async fn email(
    state: &NotifyState,
    message: &Incoming,
    ask: Ask<'_>,
) -> Result<(), HandlerError> {
    let chosen = choose(state, &ask).await?;
    if digests::hold(state, message, &ask, &chosen, MessageChannel::Email).await? {
        return Ok(());
    }
    let category = chosen.category;
    let recipient = ask.recipient;
    let info = info("email", &ask, &chosen);
    let Some(reach) = recipients::email(&state.db, recipient)
        .await
        .map_err(transient)?
    else {
        return Err(
            nowhere_to_send(state, message, info, "no email address for the recipient").await,
        );
    };
    let Accepted {
        notification,
        claimed,
    } = accept_to(
        state,
        message,
        info,
        category,
        Some(Channel::Email),
        chosen.template.topic.as_deref(),
        &reach.address,
    )
    .await?;
    let compiled = wording(state, &chosen, &notification, &ask, MessageChannel::Email).await?;
    let unsubscribe_url = match (category, recipient.user_uuid) {
        (Category::Promotional, Some(user)) => Some(format!(
            "{}/v1/notifications/unsubscribe?token={}",
            state.public_url.trim_end_matches('/'),
            preferences::unsubscribe_token(
                state.settings.unsubscribe_secret.expose_secret(),
                user,
                Channel::Email,
                chosen.template.topic.as_deref(),
            )
        )),
        _ => None,
    };
    let content = compiled
        .email(
            reach.locale.as_deref().or(ask.locale),
            &ask.values(),
            reach.name.as_deref(),
            unsubscribe_url.as_deref(),
        )
        .map_err(unrenderable)?;
    tracing::info!(
        notification = %notification.uuid,
        user_id = ?recipient.user_uuid,
        template = %ask.template,
        "sending {} email", ask.template
    );
    let sent = deliver(
        state,
        Target {
            notification: &notification,
            channel: "email",
            address: &reach.address,
            category,
            user: recipient.user_uuid,
            preference: Some(Channel::Email),
            topic: chosen.template.topic.as_deref(),
            claimed,
        },
        message,
        |_| {
            state.email.send(Outgoing {
                id: notification.uuid,
                to: &reach.address,
                to_name: reach.name.as_deref(),
                content: &content,
                unsubscribe_url: unsubscribe_url.as_deref(),
            })
        },
    )
    .await?;
    outcome(sent)
}

/// An SMS of `ask` on `sender`, with the template [`choose`] found (the
/// caller picks the sender by it; [`SmsText`] still refuses a text of the
/// other category).
pub(crate) async fn sms<K: SmsKind>(
    state: &NotifyState,
    sender: &SmsSender<K>,
    message: &Incoming,
    ask: Ask<'_>,
    chosen: Chosen,
) -> Result<(), HandlerError> {
    if digests::hold(state, message, &ask, &chosen, MessageChannel::Sms).await? {
        return Ok(());
    }
    let category = chosen.category;
    let recipient = ask.recipient;
    let info = info("sms", &ask, &chosen);
    let Some(reach) = recipients::phone(&state.db, recipient)
        .await
        .map_err(transient)?
    else {
        return Err(
            nowhere_to_send(state, message, info, "no phone number for the recipient").await,
        );
    };
    let Accepted {
        notification,
        claimed,
    } = accept_to(
        state,
        message,
        info,
        category,
        Some(Channel::Sms),
        chosen.template.topic.as_deref(),
        &reach.address,
    )
    .await?;
    let compiled = wording(state, &chosen, &notification, &ask, MessageChannel::Sms).await?;
    let text = compiled
        .sms(
            reach.locale.as_deref().or(ask.locale),
            &ask.values(),
            reach.name.as_deref(),
        )
        .map_err(unrenderable)?;
    let text = SmsText::<K>::new(compiled.category, text)
        .map_err(|e| HandlerError::Permanent(e.into()))?;
    tracing::info!(notification = %notification.uuid, user_id = ?recipient.user_uuid, template = %ask.template, kind = K::NAME, "sending SMS");
    let sent = deliver(
        state,
        Target {
            notification: &notification,
            channel: "sms",
            address: &reach.address,
            category,
            user: recipient.user_uuid,
            preference: Some(Channel::Sms),
            topic: chosen.template.topic.as_deref(),
            claimed,
        },
        message,
        |key| sender.send(&reach.address, &text, key),
    )
    .await?;
    outcome(sent)
}

/// A push: its words given (a [`PushJob`]) or from a template.
pub enum PushWords<'a> {
    Given(&'a PushJob),
    Template(Ask<'a>),
}

/// [`PushWords`] once a template is chosen.
enum PushSource<'a> {
    Given(&'a PushJob),
    Template(&'a Ask<'a>, Chosen),
}

pub async fn push(
    state: &NotifyState,
    message: &Incoming,
    words: PushWords<'_>,
) -> Result<(), HandlerError> {
    let source = match &words {
        PushWords::Given(job) => PushSource::Given(job),
        PushWords::Template(ask) => {
            let chosen = choose(state, ask).await?;
            if digests::hold(state, message, ask, &chosen, MessageChannel::Push).await? {
                return Ok(());
            }
            PushSource::Template(ask, chosen)
        }
    };
    let (recipient, category, template, version, topic) = match &source {
        PushSource::Given(job) => (&job.recipient, job.category, "push", None, None),
        PushSource::Template(ask, chosen) => (
            ask.recipient,
            chosen.category,
            ask.template,
            Some(chosen.version),
            chosen.template.topic.as_deref(),
        ),
    };
    let Some(user) = recipient.user_uuid else {
        return Err(permanent("a push job needs recipient.user_uuid"));
    };
    let notification = deliveries::accept(
        &state.db,
        &message.envelope,
        JobInfo {
            channel: "push",
            category: category.as_str(),
            template,
            recipient: Some(user),
            template_version: version,
        },
    )
    .await
    .map_err(transient)?;
    let (rendered, data) = match &source {
        PushSource::Given(job) => (
            RenderedPush {
                title: job.title.clone(),
                body: job.body.clone(),
            },
            job.data.clone(),
        ),
        PushSource::Template(ask, chosen) => {
            let compiled = wording(state, chosen, &notification, ask, MessageChannel::Push).await?;
            let (name, locale) = recipients::person(&state.db, recipient)
                .await
                .map_err(transient)?;
            let rendered = compiled
                .titled(
                    MessageChannel::Push,
                    locale.as_deref().or(ask.locale),
                    &ask.values(),
                    name.as_deref(),
                )
                .map_err(unrenderable)?;
            (rendered, Default::default())
        }
    };
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
        let (title, body, data) = (&rendered.title, &rendered.body, &data);
        let send = move |key| async move {
            match (platform, &state.apns, &state.fcm) {
                ("ios", Some(apns), _) => apns.send(token, title, body, data, key).await,
                ("android", _, Some(fcm)) => fcm.send(token, title, body, data, key).await,
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
                category,
                user: Some(user),
                preference: Some(Channel::Push),
                topic,
                claimed: None,
            },
            message,
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

/// An item in the user's inbox. Stored once (the notification is its key)
/// and announced to the user's open streams on every instance.
pub async fn in_app(
    state: &NotifyState,
    message: &Incoming,
    ask: Ask<'_>,
) -> Result<(), HandlerError> {
    let Some(user) = ask.recipient.user_uuid else {
        return Err(permanent(
            "an in-app notification needs recipient.user_uuid",
        ));
    };
    let chosen = choose(state, &ask).await?;
    if digests::hold(state, message, &ask, &chosen, MessageChannel::InApp).await? {
        return Ok(());
    }
    let category = chosen.category;
    let info = info("in_app", &ask, &chosen);
    let address = user.to_string();
    let Accepted {
        notification,
        claimed,
    } = accept_to(
        state,
        message,
        info,
        category,
        None,
        chosen.template.topic.as_deref(),
        &address,
    )
    .await?;
    let compiled = wording(state, &chosen, &notification, &ask, MessageChannel::InApp).await?;
    let (name, locale) = recipients::person(&state.db, ask.recipient)
        .await
        .map_err(transient)?;
    let rendered = compiled
        .titled(
            MessageChannel::InApp,
            locale.as_deref().or(ask.locale),
            &ask.values(),
            name.as_deref(),
        )
        .map_err(unrenderable)?;
    let stored = deliver(
        state,
        Target {
            notification: &notification,
            channel: "in_app",
            address: &address,
            category,
            user: Some(user),
            preference: None,
            topic: chosen.template.topic.as_deref(),
            claimed,
        },
        message,
        |_| inbox::store(state, &notification, user, &rendered),
    )
    .await?;
    outcome(stored)
}

/// A typed email job.
async fn typed_email(state: &NotifyState, message: Incoming) -> Result<(), HandlerError> {
    let job = decode::<EmailJob>(&message)?;
    let (template, variables) = builtin::email(&job.payload.template);
    let ask = Ask {
        recipient: &job.payload.recipient,
        template,
        variables,
        version: None,
        locale: None,
        category: Some(job.payload.template.category()),
        digest: None,
    };
    email(state, &message, ask).await
}

/// A typed SMS job of kind `K`.
async fn typed_sms<K>(
    state: &NotifyState,
    sender: &SmsSender<K>,
    message: Incoming,
) -> Result<(), HandlerError>
where
    K: SmsKind,
    K::Job: Contract,
{
    let job = decode::<K::Job>(&message)?;
    let (template, variables) = K::wording(&job.payload);
    let ask = Ask {
        recipient: K::recipient(&job.payload),
        template,
        variables,
        version: None,
        locale: None,
        // The queue, and so the sender, fixes the category.
        category: Some(K::CATEGORY),
        digest: None,
    };
    let chosen = choose(state, &ask).await?;
    sms(state, sender, &message, ask, chosen).await
}

/// A job naming a template managed at run time: its channel and the
/// template's category pick the path (for SMS, the sender).
async fn templated(state: &NotifyState, message: Incoming) -> Result<(), HandlerError> {
    let job = decode::<TemplatedJob>(&message)?;
    let job = job.payload;
    let ask = Ask {
        recipient: &job.recipient,
        template: &job.template,
        variables: job.variables.clone(),
        version: job.version,
        locale: job.locale.as_deref(),
        category: None,
        digest: job.digest.as_deref(),
    };
    match job.channel {
        MessageChannel::Email => email(state, &message, ask).await,
        MessageChannel::Push => push(state, &message, PushWords::Template(ask)).await,
        MessageChannel::InApp => in_app(state, &message, ask).await,
        MessageChannel::Sms => {
            // The template's category picks the sender.
            let chosen = choose(state, &ask).await?;
            match chosen.category {
                Category::Transactional => {
                    sms(state, &state.sms_transactional, &message, ask, chosen).await
                }
                Category::Promotional => {
                    sms(state, &state.sms_promotional, &message, ask, chosen).await
                }
            }
        }
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
    pub struct Templated(pub Arc<NotifyState>);

    impl Handler for Email {
        async fn handle(&self, message: Incoming) -> Outcome {
            typed_email(&self.0, message).await.into()
        }
    }

    impl Handler for SmsTransactional {
        async fn handle(&self, message: Incoming) -> Outcome {
            typed_sms(&self.0, &self.0.sms_transactional, message)
                .await
                .into()
        }
    }

    impl Handler for SmsPromotional {
        async fn handle(&self, message: Incoming) -> Outcome {
            typed_sms(&self.0, &self.0.sms_promotional, message)
                .await
                .into()
        }
    }

    impl Handler for Push {
        async fn handle(&self, message: Incoming) -> Outcome {
            let job = match decode::<PushJob>(&message) {
                Ok(job) => job,
                Err(e) => return Err::<(), _>(e).into(),
            };
            push(&self.0, &message, PushWords::Given(&job.payload))
                .await
                .into()
        }
    }

    impl Handler for Templated {
        async fn handle(&self, message: Incoming) -> Outcome {
            templated(&self.0, message).await.into()
        }
    }
}
