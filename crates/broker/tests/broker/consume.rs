use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use dayone_broker::{ConsumerOptions, Outcome};
use dayone_model::Contract;
use dayone_model::Envelope;
use dayone_telemetry::RequestContext;

use crate::helpers::{Ping, WORK, broker, holds_for, options, recorder, wait_until};

#[tokio::test]
async fn a_published_message_is_consumed_and_acked() {
    let t = broker().await;
    let (handler, seen) = recorder(|_| Outcome::Done);
    let _consumer = t.broker.consume(options(2), handler);
    let envelope = Envelope::new(Ping { n: 7 });
    t.broker.publish(&envelope).await.unwrap();

    assert!(wait_until(Duration::from_secs(5), || seen.lock().unwrap().len() == 1).await);
    let got = seen.lock().unwrap()[0].incoming.clone();
    assert_eq!(got.envelope.id, envelope.id);
    assert_eq!(got.envelope.kind, "test.ping");
    assert_eq!(got.attempt, 1);
    let ping = got.envelope.decode::<Ping>().unwrap();
    assert_eq!(ping.payload, Ping { n: 7 });
    let depth = t
        .stack
        .wait_for_queue_depth(&t.vhost, WORK.name, 0, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(depth, 0, "the delivery was acked");
}

#[tokio::test]
async fn the_consumer_continues_the_publishers_trace() {
    let t = broker().await;
    let (handler, seen) = recorder(|_| Outcome::Done);
    let _consumer = t.broker.consume(options(1), handler);
    let publisher = RequestContext::new_root();
    publisher
        .clone()
        .scope(t.broker.publish(&Envelope::new(Ping { n: 1 })))
        .await
        .unwrap();

    assert!(wait_until(Duration::from_secs(5), || seen.lock().unwrap().len() == 1).await);
    let context = seen.lock().unwrap()[0].context.clone().unwrap();
    assert_eq!(context.trace.trace_id, publisher.trace.trace_id);
    assert_eq!(context.request_id, publisher.request_id);
    assert_ne!(context.trace.span_id, publisher.trace.span_id);
}

#[tokio::test]
async fn a_transient_failure_is_retried_with_backoff_until_it_succeeds() {
    let t = broker().await;
    // Fail the first two attempts, succeed on the third.
    let (handler, seen) = recorder(|m| {
        if m.attempt < 3 {
            Outcome::Retry("provider timed out".into())
        } else {
            Outcome::Done
        }
    });
    let _consumer = t.broker.consume(options(1), handler);
    let started = std::time::Instant::now();
    t.broker
        .publish(&Envelope::new(Ping { n: 1 }))
        .await
        .unwrap();

    assert!(wait_until(Duration::from_secs(10), || seen.lock().unwrap().len() == 3).await);
    let attempts: Vec<u32> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.incoming.attempt)
        .collect();
    assert_eq!(attempts, [1, 2, 3]);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the retries waited 100 ms then 200 ms"
    );
    assert_eq!(t.broker.dead_letter_count(WORK.name).await.unwrap(), 0);
}

#[tokio::test]
async fn retries_that_run_out_land_in_the_dead_letter_queue() {
    let t = broker().await;
    let (handler, seen) = recorder(|_| Outcome::Retry("still down".into()));
    let _consumer = t.broker.consume(options(1), handler);
    t.broker
        .publish(&Envelope::new(Ping { n: 1 }))
        .await
        .unwrap();

    // One delivery plus one per retry delay (two), then the dead-letter queue.
    assert!(wait_until(Duration::from_secs(10), || seen.lock().unwrap().len() == 3).await);
    assert!(dead_letters_reach(&t, 1).await, "dead-lettered");
    assert!(
        holds_for(Duration::from_millis(500), || seen.lock().unwrap().len()
            == 3)
        .await,
        "no fourth attempt"
    );
}

#[tokio::test]
async fn a_poison_message_is_dead_lettered_with_its_reason_and_can_be_replayed() {
    let t = broker().await;
    let fixed = Arc::new(AtomicBool::new(false));
    let flag = fixed.clone();
    let (handler, seen) = recorder(move |_| {
        if flag.load(Ordering::SeqCst) {
            Outcome::Done
        } else {
            Outcome::DeadLetter("template `welcome` is missing".into())
        }
    });
    let _consumer = t.broker.consume(options(1), handler);
    let envelope = Envelope::new(Ping { n: 9 });
    t.broker.publish(&envelope).await.unwrap();

    assert!(dead_letters_reach(&t, 1).await, "dead-lettered");
    let reason = peek_header(&t, "test.work.dlq", "x-dayone-reason").await;
    assert_eq!(reason.as_deref(), Some("template `welcome` is missing"));

    // The cause is fixed; an operator replays the dead letters.
    fixed.store(true, Ordering::SeqCst);
    let moved = t.broker.replay_dead_letters(WORK.name, 100).await.unwrap();
    assert_eq!(moved, 1);
    assert!(wait_until(Duration::from_secs(5), || seen.lock().unwrap().len() == 2).await);
    let replayed = seen.lock().unwrap()[1].incoming.clone();
    assert_eq!(replayed.envelope.id, envelope.id);
    assert_eq!(
        replayed.attempt, 1,
        "a replay starts with a fresh retry budget"
    );
    assert_eq!(t.broker.dead_letter_count(WORK.name).await.unwrap(), 0);
}

#[tokio::test]
async fn a_body_that_is_not_an_envelope_is_dead_lettered_without_reaching_the_handler() {
    let t = broker().await;
    let (handler, seen) = recorder(|_| Outcome::Done);
    let _consumer = t.broker.consume(options(1), handler);
    t.broker
        .publish_raw(dayone_broker::Outgoing {
            exchange: dayone_broker::topology::EVENTS_EXCHANGE,
            routing_key: "test.garbage",
            message_id: "garbage-1",
            kind: "test.garbage",
            body: b"this is not json",
            headers: &[],
        })
        .await
        .unwrap();

    assert!(dead_letters_reach(&t, 1).await, "dead-lettered");
    assert!(seen.lock().unwrap().is_empty());
    let reason = peek_header(&t, "test.work.dlq", "x-dayone-reason")
        .await
        .unwrap();
    assert!(reason.starts_with("not a message envelope"), "{reason}");
}

#[tokio::test]
async fn on_shutdown_the_message_in_hand_finishes_and_the_rest_stay_queued() {
    let t = broker().await;
    let (mut handler, seen) = recorder(|_| Outcome::Done);
    handler.delay = Duration::from_millis(800);
    for n in 0..5 {
        t.broker.publish(&Envelope::new(Ping { n })).await.unwrap();
    }
    let consumer = t.broker.consume(options(1), handler);
    // Let the first delivery start, then ask the consumer to stop.
    tokio::time::sleep(Duration::from_millis(300)).await;
    t.broker.stop_consuming();
    consumer.await.unwrap();

    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "the message in hand finished"
    );
    let left = crate::helpers::ready_messages(&t, 4).await;
    assert_eq!(
        left, 4,
        "the finished one was acked, the untouched ones returned"
    );
}

/// Reads one header of the first message in `queue` without removing it.
async fn peek_header(t: &crate::helpers::TestBroker, queue: &str, header: &str) -> Option<String> {
    let url = format!(
        "http://127.0.0.1:{}/api/queues/{}/{queue}/get",
        t.stack.port("RMQ_MGMT_PORT"),
        t.vhost
    );
    let messages: Vec<serde_json::Value> = reqwest::Client::new()
        .post(url)
        .basic_auth(t.stack.get("RMQ_USER"), Some(t.stack.get("RMQ_PASSWORD")))
        .json(&serde_json::json!({"count": 1, "ackmode": "ack_requeue_true", "encoding": "auto"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    messages
        .first()?
        .get("properties")?
        .get("headers")?
        .get(header)?
        .as_str()
        .map(str::to_owned)
}

#[tokio::test]
async fn every_broadcast_subscriber_gets_its_own_copy() {
    let t = broker().await;
    const PATTERNS: &[&str] = &[Ping::TYPE];
    let (first, first_seen) = recorder(|_| Outcome::Done);
    let (second, second_seen) = recorder(|_| Outcome::Done);
    let _a = t
        .broker
        .consume(ConsumerOptions::broadcast("pings", PATTERNS), first);
    let _b = t
        .broker
        .consume(ConsumerOptions::broadcast("pings", PATTERNS), second);
    // Both subscriptions must exist before the publish.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let envelope = Envelope::new(Ping { n: 3 });
    t.broker.publish(&envelope).await.unwrap();

    assert!(
        wait_until(Duration::from_secs(5), || {
            first_seen.lock().unwrap().len() == 1 && second_seen.lock().unwrap().len() == 1
        })
        .await
    );
    // The work queue got its copy too; broadcast queues are not durable.
    let depth = crate::helpers::ready_messages(&t, 1).await;
    assert_eq!(depth, 1);
}

/// Waits until the work queue's dead-letter queue holds `n` messages (an
/// exact AMQP count, not the management API's sampled one).
async fn dead_letters_reach(t: &crate::helpers::TestBroker, n: u32) -> bool {
    dayone_test_support::eventually(Duration::from_secs(10), || async {
        (t.broker.dead_letter_count(WORK.name).await.ok()? == n).then_some(())
    })
    .await
    .is_some()
}

#[tokio::test]
async fn dead_letters_are_read_a_page_at_a_time_and_stay_in_place() {
    let t = broker().await;
    let dlq = format!("{}.dlq", WORK.name);
    let envelopes: Vec<Envelope<Ping>> = (0..5).map(|n| Envelope::new(Ping { n })).collect();
    for envelope in &envelopes {
        let body = serde_json::to_value(envelope).unwrap();
        t.stack
            .publish_to_queue(&t.vhost, &dlq, &body)
            .await
            .unwrap();
    }
    let id = |e: &Envelope<Ping>| e.id.to_string();
    let second_page = t.broker.peek_dead_letters(WORK.name, 2, 2).await.unwrap();
    let ids: Vec<String> = second_page.iter().map(|l| l.id.clone()).collect();
    assert_eq!(ids, vec![id(&envelopes[2]), id(&envelopes[3])]);
    let last = t.broker.peek_dead_letters(WORK.name, 4, 2).await.unwrap();
    assert_eq!(last.len(), 1);
    assert_eq!(last[0].id, id(&envelopes[4]));
    // Reading put every one back, in its place.
    let all = t.broker.peek_dead_letters(WORK.name, 0, 10).await.unwrap();
    let ids: Vec<String> = all.iter().map(|l| l.id.clone()).collect();
    assert_eq!(ids, envelopes.iter().map(id).collect::<Vec<_>>());
    assert_eq!(t.broker.dead_letter_count(WORK.name).await.unwrap(), 5);
}
