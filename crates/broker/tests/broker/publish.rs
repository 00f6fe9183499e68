use dayone_broker::{Outgoing, PublishError};
use dayone_model::Envelope;

use crate::helpers::{Ping, broker};

#[tokio::test]
async fn a_confirmed_publish_is_in_the_queue_and_persistent() {
    let t = broker().await;
    t.broker
        .publish(&Envelope::new(Ping { n: 1 }))
        .await
        .unwrap();

    let depth = crate::helpers::ready_messages(&t, 1).await;
    assert_eq!(depth, 1);
    let queue = t.stack.queue(&t.vhost, "test.work").await.unwrap().unwrap();
    assert_eq!(queue["durable"], true);
}

#[tokio::test]
async fn a_routing_key_no_queue_is_bound_to_is_an_error_not_a_silent_drop() {
    let t = broker().await;
    let result = t
        .broker
        .publish_raw(Outgoing {
            exchange: dayone_broker::topology::EVENTS_EXCHANGE,
            routing_key: "nobody.listens",
            message_id: "m-1",
            kind: "nobody.listens",
            body: b"{}",
            headers: &[],
        })
        .await;
    assert!(
        matches!(result, Err(PublishError::Unroutable(ref key)) if key == "nobody.listens"),
        "got {result:?}"
    );
}

#[tokio::test]
async fn the_topology_declares_retry_and_dead_letter_queues() {
    let t = broker().await;
    for queue in [
        "test.work",
        "test.work.dlq",
        "test.work.retry.100ms",
        "test.work.retry.200ms",
    ] {
        assert!(
            t.stack.queue(&t.vhost, queue).await.unwrap().is_some(),
            "{queue} was not declared"
        );
    }
    let retry = t
        .stack
        .queue(&t.vhost, "test.work.retry.100ms")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(retry["arguments"]["x-message-ttl"], 100);
    assert_eq!(retry["arguments"]["x-dead-letter-routing-key"], "test.work");
}
