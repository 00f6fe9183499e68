//! Every service's work queues as operators see them: depth, consumers and
//! rates (RabbitMQ's management API), their dead letters (browsed,
//! replayed, discarded over AMQP with the shared broker code). The queues
//! and their owners come from services.toml.

use dayone_broker::topology::dead_letter_queue;
use dayone_broker::{Broker, BrokerSettings, DeadLetter};
use dayone_model::services::{SERVICES, Service};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Most dead letters a page shows.
pub const PAGE: u32 = 50;
/// Longest body shown of a dead letter, in characters.
const BODY_LIMIT: usize = 4000;

/// One work queue, now.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct QueueView {
    pub name: String,
    pub service: String,
    pub ready: u64,
    pub unacked: u64,
    pub consumers: u64,
    /// Messages per second over the management API's last sample.
    pub publish_rate: f64,
    pub ack_rate: f64,
    pub dead_letters: u64,
}

/// A dead letter ready to show: its body redacted like the logs.
#[derive(Debug, Clone, Serialize)]
pub struct LetterView {
    pub id: String,
    pub kind: String,
    pub reason: String,
    pub attempts: Option<u32>,
    pub request_id: String,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("no service owns a queue called `{0}`")]
    Unknown(String),
    #[error("RabbitMQ: {0}")]
    Broker(String),
}

/// The service that owns `queue` (services.toml).
pub fn owner(queue: &str) -> Option<&'static Service> {
    SERVICES
        .iter()
        .find(|s| s.queues.iter().any(|q| q.name == queue))
}

/// `queue`, if a service owns it.
pub fn known(queue: &str) -> Result<&'static str, QueueError> {
    SERVICES
        .iter()
        .flat_map(|s| s.queues.iter())
        .map(|q| q.name)
        .find(|q| *q == queue)
        .ok_or_else(|| QueueError::Unknown(queue.to_owned()))
}

#[derive(Deserialize)]
struct Stats {
    name: String,
    #[serde(default)]
    messages_ready: u64,
    #[serde(default)]
    messages_unacknowledged: u64,
    #[serde(default)]
    consumers: u64,
    #[serde(default)]
    message_stats: Option<Value>,
}

fn rate(stats: &Option<Value>, what: &str) -> f64 {
    stats
        .as_ref()
        .and_then(|s| s[format!("{what}_details")]["rate"].as_f64())
        .unwrap_or(0.0)
}

/// Every service's queues with their figures, in services.toml's order.
pub async fn overview(
    http: &reqwest::Client,
    broker: &BrokerSettings,
) -> Result<Vec<QueueView>, QueueError> {
    let vhost = percent_encode(&broker.vhost);
    let url = format!(
        "http://{}:{}/api/queues/{vhost}?columns=name,messages_ready,messages_unacknowledged,consumers,message_stats",
        broker.host, broker.management_port
    );
    let stats: Vec<Stats> = http
        .get(url)
        .basic_auth(&broker.username, Some(broker.password.expose_secret()))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| QueueError::Broker(e.to_string()))?
        .json()
        .await
        .map_err(|e| QueueError::Broker(e.to_string()))?;
    let find = |name: &str| stats.iter().find(|s| s.name == name);
    let mut views = Vec::new();
    for service in SERVICES {
        for queue in service.queues {
            let mut view = QueueView {
                name: queue.name.to_owned(),
                service: service.name.to_owned(),
                ..QueueView::default()
            };
            if let Some(s) = find(queue.name) {
                view.ready = s.messages_ready;
                view.unacked = s.messages_unacknowledged;
                view.consumers = s.consumers;
                view.publish_rate = rate(&s.message_stats, "publish");
                view.ack_rate = rate(&s.message_stats, "ack");
            }
            if let Some(dlq) = find(&dead_letter_queue(queue.name)) {
                view.dead_letters = dlq.messages_ready;
            }
            views.push(view);
        }
    }
    Ok(views)
}

/// `s` as one URL component (path segment or query value).
pub fn percent_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Pages of dead letters the console shows, at most: reading page `n`
/// holds every letter before it unacknowledged for a moment.
pub const MAX_PAGES: u32 = 20;

/// Page `page` (from 1, at most [`MAX_PAGES`]) of `queue`'s dead letters,
/// [`PAGE`] to a page and left in place, and how many wait in all.
pub async fn dead_letters(
    broker: &Broker,
    queue: &str,
    page: u32,
) -> Result<(Vec<LetterView>, u32), QueueError> {
    let queue = known(queue)?;
    let failed = |e: dayone_broker::PublishError| QueueError::Broker(e.to_string());
    let total = broker.dead_letter_count(queue).await.map_err(failed)?;
    let skip = (page.clamp(1, MAX_PAGES) - 1) * PAGE;
    let letters = broker
        .peek_dead_letters(queue, skip, PAGE)
        .await
        .map_err(failed)?;
    Ok((letters.into_iter().map(view).collect(), total))
}

fn view(letter: DeadLetter) -> LetterView {
    let body = match serde_json::from_slice::<Value>(&letter.body) {
        Ok(mut json) => {
            dayone_telemetry::redact::redact_json(&mut json);
            serde_json::to_string_pretty(&json).unwrap_or_default()
        }
        Err(_) => format!("({} bytes, not JSON)", letter.body.len()),
    };
    let body = if body.chars().count() > BODY_LIMIT {
        let cut: String = body.chars().take(BODY_LIMIT).collect();
        format!("{cut}\n…")
    } else {
        body
    };
    LetterView {
        id: letter.id,
        kind: letter.kind,
        reason: letter.reason.unwrap_or_default(),
        attempts: letter.attempts,
        request_id: letter.request_id.unwrap_or_default(),
        body,
    }
}

/// What an operator may do to dead letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ReplayAll,
    DiscardAll,
    Replay,
    Discard,
}

impl Action {
    /// Its name in the audit log.
    pub fn name(self) -> &'static str {
        match self {
            Self::ReplayAll => "dead_letters.replay_all",
            Self::DiscardAll => "dead_letters.discard_all",
            Self::Replay => "dead_letter.replay",
            Self::Discard => "dead_letter.discard",
        }
    }
}

/// Does `action` to `queue`'s dead letters (`id` for one of them): how
/// many it touched.
pub async fn settle(
    broker: &Broker,
    queue: &str,
    action: Action,
    id: Option<&str>,
) -> Result<u32, QueueError> {
    let queue = known(queue)?;
    let failed = |e: dayone_broker::PublishError| QueueError::Broker(e.to_string());
    match (action, id) {
        (Action::ReplayAll, _) => broker
            .replay_dead_letters(queue, u32::MAX)
            .await
            .map_err(failed),
        (Action::DiscardAll, _) => broker.discard_dead_letters(queue).await.map_err(failed),
        (Action::Replay | Action::Discard, Some(id)) => broker
            .settle_dead_letter(queue, id, action == Action::Replay)
            .await
            .map(u32::from)
            .map_err(failed),
        (Action::Replay | Action::Discard, None) => Ok(0),
    }
}
