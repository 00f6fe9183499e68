//! Dead-letter queues: how many wait, and replaying them into their queue
//! (after the cause was fixed) with a fresh retry budget.

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
