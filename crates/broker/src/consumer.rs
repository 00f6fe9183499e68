//! Consumers with manual acks.
//!
//! A delivery is acked only after its handler has returned, so an effect the
//! handler committed is never lost and a crash mid-way means a redelivery
//! (which the idempotency record turns into a no-op). A failure the handler
//! calls transient goes to the next retry queue; after the last retry, or for
//! a poison message, the delivery is copied to the dead-letter queue with the
//! reason and only then acked. On shutdown the consumer stops taking
//! deliveries, lets the ones in hand finish, and closes its channel, which
//! returns the prefetched but untouched ones to the queue.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use dayone_model::RawEnvelope;
use dayone_telemetry::otlp::{self, FinishedSpan, Kind};
use futures_util::StreamExt;
use lapin::Channel;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, ConfirmSelectOptions,
    QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::types::ShortString;
use tokio::task::JoinHandle;
use tracing::{Instrument, error, info, info_span, warn};

use crate::connection::{Broker, Live, Outgoing, publish_on};
use crate::headers;
use crate::topology::{EVENTS_EXCHANGE, dead_letter_queue, retry_queue};

/// A message as a handler sees it.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub envelope: RawEnvelope,
    /// 1 for the first delivery, 2 for the first retry, ...
    pub attempt: u32,
    /// The broker delivered it before (a crash or lost connection mid-way).
    pub redelivered: bool,
    /// An operator replayed it from the dead-letter queue.
    pub replayed: bool,
}

/// What the consumer should do with a delivery once the handler returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done (or already done before): ack.
    Done,
    /// A transient failure: try again after the next backoff delay.
    Retry(String),
    /// Will never succeed: dead-letter now, with this reason.
    DeadLetter(String),
    /// Not now, and not a failure: look again after about this long without
    /// using up a try (another worker holds the work, say).
    Later(String, Duration),
}

/// The error a handler returns; its variant decides retry or dead-letter.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("transient: {0:#}")]
    Transient(anyhow::Error),
    #[error("permanent: {0:#}")]
    Permanent(anyhow::Error),
    /// Someone else is on it; see [`Outcome::Later`].
    #[error("busy: {0}")]
    Busy(String, Duration),
}

impl From<Result<(), HandlerError>> for Outcome {
    fn from(result: Result<(), HandlerError>) -> Self {
        match result {
            Ok(()) => Outcome::Done,
            Err(HandlerError::Transient(e)) => Outcome::Retry(format!("{e:#}")),
            Err(HandlerError::Permanent(e)) => Outcome::DeadLetter(format!("{e:#}")),
            Err(HandlerError::Busy(why, after)) => Outcome::Later(why, after),
        }
    }
}

/// Handles one message at a time (the consumer runs several at once).
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, message: Incoming) -> impl Future<Output = Outcome> + Send;

    /// Called each time the consumer is subscribed (again): after a
    /// reconnect a broadcast consumer may have missed messages and can
    /// catch up from a shared record here.
    fn on_subscribed(&self) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// Which queue to consume and how hard.
#[derive(Debug, Clone)]
pub struct ConsumerOptions {
    /// The work queue, or for a broadcast the name used in logs and metrics.
    pub queue: &'static str,
    /// Unacked deliveries in hand (AMQP prefetch).
    pub prefetch: u16,
    /// Handlers running at once.
    pub concurrency: usize,
    /// `Some(patterns)`: a broadcast subscription. Each consumer gets its own
    /// exclusive, server-named queue bound to the patterns, living as long
    /// as its connection; deliveries are acked whatever the outcome (there
    /// is no retry or dead-letter queue for them).
    pub broadcast: Option<&'static [&'static str]>,
}

impl ConsumerOptions {
    /// Prefetch and concurrency from the broker settings.
    pub fn from_settings(queue: &'static str, broker: &Broker) -> Self {
        Self {
            queue,
            prefetch: broker.settings().prefetch,
            concurrency: broker.settings().concurrency.max(1),
            broadcast: None,
        }
    }

    /// A broadcast subscription to `patterns` (see [`Self::broadcast`]).
    pub fn broadcast(name: &'static str, patterns: &'static [&'static str]) -> Self {
        Self {
            queue: name,
            prefetch: 64,
            concurrency: 1,
            broadcast: Some(patterns),
        }
    }
}

impl Broker {
    /// Consumes `options.queue` with `handler` until shutdown, across
    /// reconnects. Await the handle to wait for the in-flight messages.
    pub fn consume<H: Handler>(&self, options: ConsumerOptions, handler: H) -> JoinHandle<()> {
        let broker = self.clone();
        tokio::spawn(run(broker, options, Arc::new(handler)))
    }
}

enum Stopped {
    Shutdown,
    ConnectionLost,
}

async fn run<H: Handler>(broker: Broker, options: ConsumerOptions, handler: Arc<H>) {
    let shutdown = broker.shutdown_token().clone();
    let mut live_rx = broker.subscribe();
    let mut last_generation = 0;
    loop {
        let live = tokio::select! {
            _ = shutdown.cancelled() => return,
            live = live_rx.wait_for(|l| l.as_ref().is_some_and(|l| l.generation != last_generation)) => {
                match live { Ok(live) => live.clone(), Err(_) => return }
            }
        };
        let Some(live) = live else { continue };
        last_generation = live.generation;
        match consume_on(&broker, &live, &options, &handler).await {
            Err(ConsumeError::SetupTimedOut) => {
                warn!(
                    queue = options.queue,
                    "consumer setup got no answer; waiting for a new connection"
                );
                if broker.is_connected() {
                    last_generation = 0; // retry on the same connection
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
            Ok(Stopped::Shutdown) => return,
            Ok(Stopped::ConnectionLost) => {
                warn!(
                    queue = options.queue,
                    "consumer lost its channel; waiting for a new connection"
                );
            }
            Err(ConsumeError::Amqp(error)) => {
                warn!(queue = options.queue, error = %error, "consumer could not start; waiting for a new connection");
                // The connection may still look alive (a channel-level
                // error): let the supervisor's next check decide.
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                if broker.is_connected() {
                    last_generation = 0; // retry on the same connection
                }
            }
        }
    }
}

/// Why a consumer did not run.
enum ConsumeError {
    Amqp(lapin::Error),
    /// A channel call of the setup got no answer (a broker still starting).
    SetupTimedOut,
}

impl From<lapin::Error> for ConsumeError {
    fn from(error: lapin::Error) -> Self {
        Self::Amqp(error)
    }
}

/// Opens a channel on `live` and subscribes, within a bound (see
/// [`consume_on`]).
async fn subscribe(
    live: &Live,
    options: &ConsumerOptions,
) -> Result<(Channel, lapin::Consumer), ConsumeError> {
    let setup = async {
        let channel = live.connection.create_channel().await?;
        channel
            .basic_qos(options.prefetch, BasicQosOptions::default())
            .await?;
        // Retries and dead letters are published on this channel with
        // confirms, before the original is acked on it.
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        let source = match options.broadcast {
            None => ShortString::from(options.queue),
            Some(patterns) => broadcast_queue(&channel, patterns).await?,
        };
        let consumer = channel
            .basic_consume(
                source,
                ShortString::from(format!("{}-{}", options.queue, uuid::Uuid::new_v4())),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        Ok::<_, lapin::Error>((channel, consumer))
    };
    match tokio::time::timeout(SETUP_TIMEOUT, setup).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(ConsumeError::SetupTimedOut),
    }
}

/// Acking, or moving a message to a retry or dead-letter queue, gets this
/// long (see `process`).
const SETTLE_TIMEOUT: Duration = Duration::from_secs(10);

/// A consumer's channel setup gets this long (a broker still starting can
/// leave a channel call unanswered).
const SETUP_TIMEOUT: Duration = Duration::from_secs(15);

/// Subscribes on `live` and handles deliveries until the connection is
/// lost or the service shuts down.
async fn consume_on<H: Handler>(
    broker: &Broker,
    live: &Live,
    options: &ConsumerOptions,
    handler: &Arc<H>,
) -> Result<Stopped, ConsumeError> {
    let (channel, consumer) = subscribe(live, options).await?;
    info!(
        queue = options.queue,
        prefetch = options.prefetch,
        "consuming"
    );
    handler.on_subscribed().await;
    let broadcast = options.broadcast.is_some();
    let shutdown = broker.shutdown_token().clone();
    let retry_delays = broker.settings().retry_delays();
    consumer
        .take_until(shutdown.clone().cancelled_owned())
        // A delivery error means the channel is gone: take nothing more
        // from it (the in-flight messages finish, then the consumer
        // subscribes again on the next connection).
        .take_while(|delivery| {
            if let Err(error) = delivery {
                warn!(queue = options.queue, error = %error, "delivery error");
            }
            std::future::ready(delivery.is_ok())
        })
        .for_each_concurrent(options.concurrency, |delivery| {
            let channel = &channel;
            let retry_delays = &retry_delays;
            async move {
                // Errors ended the stream at `take_while` above.
                if let Ok(delivery) = delivery {
                    process(
                        channel,
                        options.queue,
                        (!broadcast).then_some(retry_delays.as_slice()),
                        handler.as_ref(),
                        delivery,
                    )
                    .await;
                }
            }
        })
        .await;
    if shutdown.is_cancelled() {
        // In-flight handlers have finished and acked; closing the channel
        // hands the prefetched rest back to the queue.
        let _ = channel.close(200, "consumer stopping".into()).await;
        info!(queue = options.queue, "consumer stopped");
        return Ok(Stopped::Shutdown);
    }
    Ok(Stopped::ConnectionLost)
}

/// Declares this consumer's own queue for a broadcast and binds it.
async fn broadcast_queue(channel: &Channel, patterns: &[&str]) -> lapin::Result<ShortString> {
    let queue = channel
        .queue_declare(
            ShortString::from(""),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await?;
    for pattern in patterns {
        channel
            .queue_bind(
                queue.name().clone(),
                EVENTS_EXCHANGE.into(),
                ShortString::from(*pattern),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    Ok(queue.name().clone())
}

/// Runs the handler on one delivery and settles it. `retry_delays` is
/// `None` for broadcast deliveries, which are acked whatever the outcome.
async fn process<H: Handler>(
    channel: &Channel,
    queue: &'static str,
    retry_delays: Option<&[Duration]>,
    handler: &H,
    delivery: Delivery,
) {
    let table = delivery.properties.headers().as_ref();
    let attempt = headers::get_u32(table, headers::ATTEMPT)
        .unwrap_or(1)
        .max(1);
    let replayed = headers::get_str(table, headers::REPLAYED).is_some_and(|v| v == "true");
    let (context, publisher) = headers::context_of(table);
    let export = otlp::wants(&context.trace);
    let span = info_span!(
        "consume",
        queue,
        message_id = tracing::field::Empty,
        message_type = tracing::field::Empty,
        attempt,
        request_id = %context.request_id,
        trace_id = %context.trace.trace_id,
        span_id = %context.trace.span_id,
    );
    async {
        let started = Instant::now();
        let started_at = SystemTime::now();
        let mut message_type = String::new();
        let outcome = match RawEnvelope::from_slice(&delivery.data) {
            Ok(envelope) => {
                tracing::Span::current()
                    .record("message_id", tracing::field::display(envelope.id))
                    .record("message_type", envelope.kind.as_str());
                if export {
                    message_type.clone_from(&envelope.kind);
                }
                // Publish to consume: what a growing backlog looks like.
                let lag = (chrono::Utc::now() - envelope.occurred_at)
                    .to_std()
                    .unwrap_or_default();
                metrics::histogram!("broker_message_lag_seconds", "queue" => queue)
                    .record(lag.as_secs_f64());
                let incoming = Incoming {
                    envelope,
                    attempt,
                    redelivered: delivery.redelivered,
                    replayed,
                };
                context.clone().scope(handler.handle(incoming)).await
            }
            Err(error) => Outcome::DeadLetter(format!("not a message envelope: {error}")),
        };
        metrics::histogram!("broker_message_handling_seconds", "queue" => queue)
            .record(started.elapsed().as_secs_f64());
        let label = match &outcome {
            Outcome::Done => "done",
            Outcome::Retry(_) => "retry",
            Outcome::DeadLetter(_) => "dead_letter",
            Outcome::Later(..) => "later",
        };
        metrics::counter!("broker_messages_consumed_total", "queue" => queue, "outcome" => label)
            .increment(1);
        if export {
            otlp::record(FinishedSpan {
                name: format!("{queue} process"),
                kind: Kind::Consumer,
                context: context.trace.clone(),
                parent_span_id: publisher,
                start: started_at,
                end: SystemTime::now(),
                attributes: vec![
                    ("messaging.system", "rabbitmq".into()),
                    ("messaging.operation.type", "process".into()),
                    ("messaging.destination.name", queue.into()),
                    ("messaging.message.type", message_type.into()),
                    ("messaging.outcome", label.into()),
                    ("request_id", context.request_id.clone().into()),
                ],
                error: match &outcome {
                    Outcome::Done => None,
                    Outcome::Retry(why) | Outcome::DeadLetter(why) | Outcome::Later(why, _) => {
                        Some(why.clone())
                    }
                },
            });
        }
        let settled = async {
            match retry_delays {
                Some(delays) => settle(channel, queue, delays, &delivery, attempt, outcome).await,
                None => {
                    if outcome != Outcome::Done {
                        warn!(outcome = ?outcome, "broadcast handler failed; acking anyway");
                    }
                    if let Err(error) = delivery.acker.ack(BasicAckOptions::default()).await {
                        warn!(error = %error, "ack failed");
                    }
                }
            }
        };
        // An ack or a confirm on a channel whose connection just died can
        // stay unanswered for good, and the consumer waits for every
        // in-flight message before it subscribes again: without a bound one
        // such ack stopped a queue's consumption after a RabbitMQ restart.
        // Unsettled, the message is redelivered on the new channel (handled
        // again at worst, which idempotent handlers absorb).
        if tokio::time::timeout(SETTLE_TIMEOUT, settled).await.is_err() {
            warn!("settling the message got no answer; the broker will redeliver it");
        }
    }
    .instrument(span)
    .await;
}

/// Acts on the outcome. Every path that moves a message elsewhere publishes
/// the copy with a confirm first and acks the original second; if either
/// fails, the broker redelivers the original, so a message is never lost
/// (at worst handled again, which idempotent handlers absorb).
async fn settle(
    channel: &Channel,
    queue: &str,
    retry_delays: &[Duration],
    delivery: &Delivery,
    attempt: u32,
    outcome: Outcome,
) {
    // Where the message goes instead of being done: (queue, attempt, reason).
    let destination = match outcome {
        Outcome::Done => None,
        Outcome::Retry(reason) => match retry_delays.get(attempt as usize - 1) {
            Some(delay) => {
                warn!(attempt, delay_ms = delay.as_millis() as u64, reason = %reason, "handler failed; will retry");
                Some((retry_queue(queue, *delay), attempt + 1, None))
            }
            None => {
                let reason = format!("gave up after {attempt} attempts: {reason}");
                error!(reason = %reason, "dead-lettering message");
                Some((dead_letter_queue(queue), attempt, Some(reason)))
            }
        },
        Outcome::DeadLetter(reason) => {
            error!(reason = %reason, "dead-lettering message");
            Some((dead_letter_queue(queue), attempt, Some(reason)))
        }
        // The same attempt again after the longest retry delay that fits
        // the wait (or the shortest there is).
        Outcome::Later(reason, wait) => {
            let delay = retry_delays
                .iter()
                .filter(|d| **d <= wait)
                .max()
                .or_else(|| retry_delays.iter().min())
                .copied();
            match delay {
                Some(delay) => {
                    info!(attempt, delay_ms = delay.as_millis() as u64, reason = %reason, "not now; will look again");
                    Some((retry_queue(queue, delay), attempt, None))
                }
                None => Some((queue.to_owned(), attempt, None)),
            }
        }
    };
    let moved = match destination {
        None => Ok(()),
        Some((target, attempt, reason)) => {
            let mut marks = vec![
                (headers::ATTEMPT.to_owned(), attempt.to_string()),
                (headers::ORIGINAL_QUEUE.to_owned(), queue.to_owned()),
            ];
            if let Some(reason) = reason {
                marks.push((headers::REASON.to_owned(), reason));
            }
            forward(channel, delivery, &target, marks).await
        }
    };
    match moved {
        Ok(()) => {
            if let Err(error) = delivery.acker.ack(BasicAckOptions::default()).await {
                warn!(error = %error, "ack failed; the message will be redelivered");
            }
        }
        Err(error) => {
            warn!(error = %error, "could not move the message; returning it to the queue");
            let _ = delivery
                .acker
                .nack(BasicNackOptions {
                    requeue: true,
                    ..Default::default()
                })
                .await;
        }
    }
}

/// Publishes a copy of `delivery` (body, id, type and trace headers) to
/// `queue` through the default exchange, with `marks` added to its headers,
/// and waits for the confirm.
pub(crate) async fn forward(
    channel: &Channel,
    delivery: &Delivery,
    queue: &str,
    marks: Vec<(String, String)>,
) -> Result<(), crate::PublishError> {
    let table = delivery.properties.headers().as_ref();
    let mut carried: Vec<(String, String)> = [headers::TRACEPARENT, headers::REQUEST_ID]
        .into_iter()
        .filter_map(|k| headers::get_str(table, k).map(|v| (k.to_owned(), v)))
        .collect();
    carried.extend(marks);
    let text =
        |value: &Option<ShortString>| value.as_ref().map(|s| s.to_string()).unwrap_or_default();
    publish_on(
        channel,
        Outgoing {
            exchange: "",
            routing_key: queue,
            message_id: &text(delivery.properties.message_id()),
            kind: &text(delivery.properties.kind()),
            body: &delivery.data,
            headers: &carried,
        },
    )
    .await
}
