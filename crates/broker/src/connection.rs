//! The supervised connection. A background task connects with exponential
//! backoff, declares the topology, opens the publishing channel in confirm
//! mode and publishes the live connection on a watch channel; when the
//! connection dies it clears it and starts over. Nothing else owns a
//! connection, so readiness, publishers and consumers all see the same state.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dayone_model::{Contract, Envelope};
use futures_util::StreamExt;
use lapin::Confirmation;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::ShortString;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, Event};
use rand::Rng;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::headers;
use crate::settings::BrokerSettings;
use crate::topology::{self, EVENTS_EXCHANGE, QueueDef};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a publish waits for RabbitMQ's confirm. lapin does not always
/// fail a pending confirm when the connection goes away mid-publish (a
/// broker stopped under load); unbounded, such a wait held the outbox
/// relay's transaction and rows, or a consumer's in-flight retry, for good.
/// A publish that times out is treated as not confirmed: the outbox keeps
/// the row and a consumer leaves the delivery unacked, and consumers drop
/// the copy a late confirm would have meant (by message id).
pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A handle on the process's broker connection. Cheap to clone.
#[derive(Clone)]
pub struct Broker {
    inner: Arc<Inner>,
}

struct Inner {
    settings: BrokerSettings,
    name: String,
    queues: &'static [QueueDef],
    live: watch::Sender<Option<Live>>,
    /// Cancelled first on shutdown: consumers and relays stop taking work.
    stop_consuming: CancellationToken,
    /// Cancelled last: the supervisor closes the connection.
    close: CancellationToken,
    supervisor: Mutex<Option<JoinHandle<()>>>,
}

/// The current connection and its confirm-mode publishing channel.
#[derive(Clone)]
pub(crate) struct Live {
    pub(crate) generation: u64,
    pub(crate) connection: Arc<Connection>,
    publisher: Channel,
}

/// Why a publish did not get the broker's confirm.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("not connected to RabbitMQ")]
    Disconnected,
    #[error("RabbitMQ refused the message (nack)")]
    Nacked,
    #[error("no queue is bound for routing key `{0}`")]
    Unroutable(String),
    #[error("could not encode the message")]
    Encode(#[from] serde_json::Error),
    #[error(transparent)]
    Amqp(#[from] lapin::Error),
    #[error("RabbitMQ did not confirm the message in time")]
    Unconfirmed,
}

impl PublishError {
    /// Worth trying again later (as opposed to a message that will never route).
    pub fn is_transient(&self) -> bool {
        !matches!(self, Self::Unroutable(_) | Self::Encode(_))
    }
}

/// A message ready to publish: the envelope's JSON plus its headers.
pub struct Outgoing<'a> {
    pub exchange: &'a str,
    pub routing_key: &'a str,
    pub message_id: &'a str,
    pub kind: &'a str,
    pub body: &'a [u8],
    pub headers: &'a [(String, String)],
}

impl Broker {
    /// Starts the supervisor and returns at once: the service comes up even
    /// while RabbitMQ is down, reports not-ready, and connects when it can.
    /// `name` shows up as the connection name in the management UI.
    pub fn start(
        settings: BrokerSettings,
        queues: &'static [QueueDef],
        name: impl Into<String>,
    ) -> Self {
        let (live, _) = watch::channel(None);
        let broker = Self {
            inner: Arc::new(Inner {
                settings,
                name: name.into(),
                queues,
                live,
                stop_consuming: CancellationToken::new(),
                close: CancellationToken::new(),
                supervisor: Mutex::new(None),
            }),
        };
        let supervisor = tokio::spawn(supervise(broker.inner.clone()));
        if let Ok(mut slot) = broker.inner.supervisor.lock() {
            *slot = Some(supervisor);
        }
        broker
    }

    /// Shutdown, step one: consumers stop taking deliveries (the ones in
    /// hand still finish and ack) and relays stop publishing.
    pub fn stop_consuming(&self) {
        self.inner.stop_consuming.cancel();
    }

    /// Shutdown, step two: closes the connection and waits for it.
    pub async fn close(&self) {
        self.inner.stop_consuming.cancel();
        self.inner.close.cancel();
        let supervisor = self.inner.supervisor.lock().ok().and_then(|mut s| s.take());
        if let Some(supervisor) = supervisor {
            let _ = supervisor.await;
        }
    }

    pub fn settings(&self) -> &BrokerSettings {
        &self.inner.settings
    }

    /// Cancelled when consumers and relays must stop taking work.
    pub(crate) fn shutdown_token(&self) -> &CancellationToken {
        &self.inner.stop_consuming
    }

    /// A token cancelled at shutdown step one, for a service's own
    /// background loops that should stop with the consumers.
    pub fn stopping(&self) -> CancellationToken {
        self.inner.stop_consuming.clone()
    }

    /// Whether a live connection exists right now (the readiness check).
    pub fn is_connected(&self) -> bool {
        self.inner
            .live
            .borrow()
            .as_ref()
            .is_some_and(|live| live.connection.status().connected())
    }

    /// Waits until connected, for start-up paths that need the broker.
    pub async fn wait_connected(&self, timeout: Duration) -> Result<(), PublishError> {
        let mut rx = self.inner.live.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(Option::is_some))
            .await
            .map_err(|_| PublishError::Disconnected)?
            .map(|_| ())
            .map_err(|_| PublishError::Disconnected)
    }

    /// A fresh channel on the live connection, for one-off work.
    pub(crate) async fn open_channel(&self) -> Result<Channel, PublishError> {
        Ok(self.live()?.connection.create_channel().await?)
    }

    fn live(&self) -> Result<Live, PublishError> {
        self.inner
            .live
            .borrow()
            .clone()
            .ok_or(PublishError::Disconnected)
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<Option<Live>> {
        self.inner.live.subscribe()
    }

    /// Publishes `envelope` to the events exchange under its type, with the
    /// current trace context, and waits for the confirm. Prefer the outbox
    /// when the message reports a database change.
    pub async fn publish<P: Contract>(&self, envelope: &Envelope<P>) -> Result<(), PublishError> {
        let body = serde_json::to_vec(envelope)?;
        let headers = headers::for_publish(P::TYPE);
        self.publish_raw(Outgoing {
            exchange: EVENTS_EXCHANGE,
            routing_key: P::TYPE,
            message_id: &envelope.id.to_string(),
            kind: P::TYPE,
            body: &body,
            headers: &headers,
        })
        .await
    }

    /// Publishes a persistent message and waits for the broker's confirm.
    /// `mandatory` is set: a routing key no queue is bound to is an error,
    /// not a silently dropped message.
    pub async fn publish_raw(&self, message: Outgoing<'_>) -> Result<(), PublishError> {
        publish_on(&self.live()?.publisher, message).await
    }
}

/// Publishes on a confirm-mode channel and checks the confirm.
pub(crate) async fn publish_on(channel: &Channel, m: Outgoing<'_>) -> Result<(), PublishError> {
    let properties = BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type(ShortString::from("application/json"))
        .with_message_id(ShortString::from(m.message_id))
        .with_type(ShortString::from(m.kind))
        .with_headers(headers::to_field_table(m.headers));
    let publish = async {
        channel
            .basic_publish(
                ShortString::from(m.exchange),
                ShortString::from(m.routing_key),
                BasicPublishOptions {
                    mandatory: true,
                    ..Default::default()
                },
                m.body,
                properties,
            )
            .await?
            .await
    };
    let confirm = tokio::time::timeout(PUBLISH_TIMEOUT, publish)
        .await
        .map_err(|_| PublishError::Unconfirmed)??;
    let outcome = match confirm {
        Confirmation::Ack(None) | Confirmation::NotRequested => Ok(()),
        Confirmation::Ack(Some(_returned)) => Err(PublishError::Unroutable(m.routing_key.into())),
        Confirmation::Nack(_) => Err(PublishError::Nacked),
    };
    metrics::counter!(
        "broker_messages_published_total",
        "routing_key" => m.routing_key.to_owned(),
        "outcome" => if outcome.is_ok() { "confirmed" } else { "failed" },
    )
    .increment(1);
    outcome
}

async fn supervise(inner: Arc<Inner>) {
    let mut generation = 0u64;
    let mut failures = 0u32;
    loop {
        if inner.close.is_cancelled() {
            return;
        }
        generation += 1;
        match connect(&inner, generation).await {
            Ok((live, events)) => {
                failures = 0;
                info!(generation, "connected to RabbitMQ");
                metrics::gauge!("broker_connected").set(1.0);
                let connection = live.connection.clone();
                inner.live.send_replace(Some(live));
                let lost = watch_connection(&inner, &connection, events).await;
                inner.live.send_replace(None);
                metrics::gauge!("broker_connected").set(0.0);
                if !lost {
                    let _ = connection.close(200, "service shutting down".into()).await;
                    return;
                }
                warn!(generation, "lost the RabbitMQ connection; reconnecting");
            }
            Err(error) => {
                failures += 1;
                warn!(failures, error = %error, "could not connect to RabbitMQ");
            }
        }
        let delay = backoff(failures);
        tokio::select! {
            _ = inner.close.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

/// Connects, declares the topology and opens the confirm-mode publisher,
/// all within a bound: a broker that is still starting can accept the
/// connection and leave a channel call unanswered, and the supervisor must
/// then try again rather than wait on it for good.
async fn connect(inner: &Inner, generation: u64) -> anyhow::Result<(Live, EventStream)> {
    tokio::time::timeout(SETUP_TIMEOUT, connect_unbounded(inner, generation))
        .await
        .map_err(|_| {
            anyhow::anyhow!("RabbitMQ did not finish the connection setup in {SETUP_TIMEOUT:?}")
        })?
}

/// The whole of [`connect`]: the connection, the topology and the publisher.
const SETUP_TIMEOUT: Duration = Duration::from_secs(20);

async fn connect_unbounded(inner: &Inner, generation: u64) -> anyhow::Result<(Live, EventStream)> {
    let properties =
        ConnectionProperties::default().with_connection_name(inner.name.as_str().into());
    let connection = tokio::time::timeout(
        CONNECT_TIMEOUT,
        Connection::connect(&inner.settings.uri(), properties),
    )
    .await??;
    // Boxed as a 'static trait object so it no longer borrows `connection`.
    let events: EventStream = Box::pin(connection.events_listener());
    let channel = connection.create_channel().await?;
    topology::declare(
        &channel,
        inner.queues,
        &inner.settings.retry_delays(),
        inner.settings.quorum_queues,
    )
    .await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    Ok((
        Live {
            generation,
            connection: Arc::new(connection),
            publisher: channel,
        },
        events,
    ))
}

type EventStream = std::pin::Pin<Box<dyn futures_util::Stream<Item = Event> + Send + 'static>>;

/// Returns `true` when the connection was lost, `false` on shutdown.
async fn watch_connection(inner: &Inner, connection: &Connection, mut events: EventStream) -> bool {
    let mut poll = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            _ = inner.close.cancelled() => return false,
            event = events.next() => match event {
                Some(Event::Error(error)) => {
                    warn!(error = %error, "RabbitMQ connection error");
                    return true;
                }
                Some(_) => {}
                None => return true,
            },
            // A backstop for failures that raise no event.
            _ = poll.tick() => {
                if !connection.status().connected() {
                    return true;
                }
            }
        }
    }
}

/// 100 ms doubling up to 5 s, with ±20 % jitter so replicas do not reconnect
/// in lockstep.
fn backoff(failures: u32) -> Duration {
    let base = Duration::from_millis(100)
        .saturating_mul(1u32 << failures.min(6))
        .min(MAX_BACKOFF);
    base.mul_f64(rand::rng().random_range(0.8..1.2))
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(0) <= Duration::from_millis(120));
        assert!(backoff(3) >= Duration::from_millis(640));
        assert!(backoff(30) <= Duration::from_secs(6));
    }
}
