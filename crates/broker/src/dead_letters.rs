//! Dead-letter queues: how many wait, what they hold, replaying them into
//! their queue (after the cause was fixed) with a fresh retry budget, and
//! discarding one for good.

use lapin::Channel;
use lapin::message::BasicGetMessage;
use lapin::options::{
    BasicAckOptions, BasicGetOptions, BasicNackOptions, ConfirmSelectOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;

use crate::connection::{Broker, PublishError};
use crate::consumer::forward;
use crate::headers;
use crate::topology::dead_letter_queue;

impl Broker {
    /// Messages waiting in `queue`'s dead-letter queue.
    pub async fn dead_letter_count(&self, queue: &str) -> Result<u32, PublishError> {
        self.queue_depth(&dead_letter_queue(queue)).await
    }

    /// Messages ready in `queue` (not those delivered and not yet acked),
    /// exact at the moment of asking.
    pub async fn queue_depth(&self, queue: &str) -> Result<u32, PublishError> {
        let channel = self.open_channel().await?;
        let declared = channel
            .queue_declare(
                queue.into(),
                QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await?;
        let _ = channel.close(200, "done".into()).await;
        Ok(declared.message_count())
    }

    /// Up to `limit` of `queue`'s dead letters after the first `skip`,
    /// oldest first, left where they are: each is fetched unacknowledged
    /// and returned to its place when the channel closes (so a page deep
    /// in the queue costs every message before it).
    pub async fn peek_dead_letters(
        &self,
        queue: &str,
        skip: u32,
        limit: u32,
    ) -> Result<Vec<DeadLetter>, PublishError> {
        let channel = self.open_channel().await?;
        let dlq = dead_letter_queue(queue);
        let mut letters = Vec::new();
        let mut seen = 0u32;
        while letters.len() < limit as usize {
            let Some(message) = get(&channel, &dlq).await? else {
                break;
            };
            seen += 1;
            if seen > skip {
                letters.push(DeadLetter::of(&message));
            }
        }
        // Closing returns every unacknowledged message to the queue.
        let _ = channel.close(200, "done".into()).await;
        Ok(letters)
    }

    /// Replays (`replay`) or discards the dead letter of `queue` whose
    /// message id is `id`; the others stay. False if no dead letter has it.
    pub async fn settle_dead_letter(
        &self,
        queue: &str,
        id: &str,
        replay: bool,
    ) -> Result<bool, PublishError> {
        let channel = self.open_channel().await?;
        if replay {
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await?;
        }
        let dlq = dead_letter_queue(queue);
        let mut found = false;
        while let Some(message) = get(&channel, &dlq).await? {
            let delivery = &message.delivery;
            if delivery
                .properties
                .message_id()
                .as_ref()
                .map(|m| m.as_str())
                != Some(id)
            {
                continue; // held unacknowledged: back in place at close
            }
            if replay {
                let marks = vec![(headers::REPLAYED.to_owned(), "true".to_owned())];
                forward(&channel, delivery, queue, marks).await?;
            }
            delivery.acker.ack(BasicAckOptions::default()).await?;
            found = true;
            break;
        }
        let _ = channel.close(200, "done".into()).await;
        tracing::info!(queue, id, replay, found, "settled a dead letter");
        Ok(found)
    }

    /// Deletes every dead letter of `queue`; how many there were.
    pub async fn discard_dead_letters(&self, queue: &str) -> Result<u32, PublishError> {
        let channel = self.open_channel().await?;
        let purged = channel
            .queue_purge(
                dead_letter_queue(queue).as_str().into(),
                lapin::options::QueuePurgeOptions::default(),
            )
            .await?;
        let _ = channel.close(200, "done".into()).await;
        tracing::info!(queue, purged, "discarded dead letters");
        Ok(purged)
    }

    /// Moves up to `limit` dead letters of `queue` back into `queue`, each
    /// published with a confirm before it is acked off the dead-letter queue,
    /// and returns how many moved.
    pub async fn replay_dead_letters(&self, queue: &str, limit: u32) -> Result<u32, PublishError> {
        let channel = self.open_channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        let dlq = dead_letter_queue(queue);
        let mut moved = 0;
        while moved < limit {
            let Some(message) = channel
                .basic_get(dlq.as_str().into(), BasicGetOptions { no_ack: false })
                .await?
            else {
                break;
            };
            let delivery = &message.delivery;
            // A fresh start: the trace is kept, the failure marks are not,
            // and the handler is told an operator asked for another try.
            let marks = vec![(headers::REPLAYED.to_owned(), "true".to_owned())];
            let published = forward(&channel, delivery, queue, marks).await;
            if let Err(error) = published {
                let _ = delivery
                    .acker
                    .nack(BasicNackOptions {
                        requeue: true,
                        ..Default::default()
                    })
                    .await;
                return Err(error);
            }
            delivery.acker.ack(BasicAckOptions::default()).await?;
            moved += 1;
        }
        let _ = channel.close(200, "done".into()).await;
        tracing::info!(queue, moved, "replayed dead letters");
        Ok(moved)
    }
}

async fn get(channel: &Channel, queue: &str) -> Result<Option<BasicGetMessage>, PublishError> {
    Ok(channel
        .basic_get(queue.into(), BasicGetOptions { no_ack: false })
        .await?)
}

/// A message in a dead-letter queue, as operators see it.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    /// The envelope's id.
    pub id: String,
    /// The contract (`kind`), e.g. `product.changed`.
    pub kind: String,
    /// Why it was dead-lettered.
    pub reason: Option<String>,
    /// Deliveries it had.
    pub attempts: Option<u32>,
    /// The request that started the work.
    pub request_id: Option<String>,
    /// The envelope as sent (not redacted: callers showing it redact it).
    pub body: Vec<u8>,
}

impl DeadLetter {
    fn of(message: &BasicGetMessage) -> Self {
        let delivery = &message.delivery;
        let table = delivery.properties.headers().as_ref();
        let text = |value: Option<&lapin::types::ShortString>| {
            value.map(|s| s.to_string()).unwrap_or_default()
        };
        Self {
            id: text(delivery.properties.message_id().as_ref()),
            kind: text(delivery.properties.kind().as_ref()),
            reason: headers::get_str(table, headers::REASON),
            attempts: headers::get_u32(table, headers::ATTEMPT),
            request_id: headers::get_str(table, headers::REQUEST_ID),
            body: delivery.data.clone(),
        }
    }
}
