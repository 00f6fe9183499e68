//! Dead-letter queues: how many wait, and replaying them into their queue
//! (after the cause was fixed) with a fresh retry budget.

use lapin::options::{
    BasicAckOptions, BasicGetOptions, BasicNackOptions, ConfirmSelectOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;

use crate::connection::{Broker, Outgoing, PublishError, publish_on};
use crate::headers;
use crate::topology::dead_letter_queue;

impl Broker {
    /// Messages waiting in `queue`'s dead-letter queue.
    pub async fn dead_letter_count(&self, queue: &str) -> Result<u32, PublishError> {
        let channel = self.open_channel().await?;
        let declared = channel
            .queue_declare(
                dead_letter_queue(queue).as_str().into(),
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
            let table = delivery.properties.headers().as_ref();
            // Keep the trace, drop the failure marks: a fresh start.
            let replay_headers: Vec<(String, String)> = [headers::TRACEPARENT, headers::REQUEST_ID]
                .into_iter()
                .filter_map(|k| headers::get_str(table, k).map(|v| (k.to_owned(), v)))
                .collect();
            let message_id = delivery
                .properties
                .message_id()
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_default();
            let kind = delivery
                .properties
                .kind()
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_default();
            let published = publish_on(
                &channel,
                Outgoing {
                    exchange: "",
                    routing_key: queue,
                    message_id: &message_id,
                    kind: &kind,
                    body: &delivery.data,
                    headers: &replay_headers,
                },
            )
            .await;
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
