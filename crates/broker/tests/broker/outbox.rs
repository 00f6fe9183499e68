use std::time::Duration;

use dayone_broker::schema::MESSAGING_TABLES;
use dayone_broker::{Outbox, OutboxRelay, Outcome, idempotency};
use dayone_model::Envelope;
use dayone_telemetry::RequestContext;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};

use crate::helpers::{Ping, broker, options, recorder, wait_until};

async fn database(stack: &dayone_test_support::TestStack) -> DatabaseConnection {
    let name = stack.create_database("test_broker").await.unwrap();
    let db = stack.connect(&name).await.unwrap();
    db.execute_unprepared(MESSAGING_TABLES).await.unwrap();
    db
}

async fn published_count(db: &DatabaseConnection) -> i64 {
    db.query_one_raw(Statement::from_string(
        DbBackend::Postgres,
        "SELECT count(*) AS n FROM outbox_messages WHERE published_at IS NOT NULL",
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get("", "n")
    .unwrap()
}

#[tokio::test]
async fn only_committed_outbox_messages_are_published() {
    let t = broker().await;
    let db = database(&t.stack).await;
    let outbox = Outbox::new();
    let (handler, seen) = recorder(|_| Outcome::Done);
    let _consumer = t.broker.consume(options(1), handler);

    let committed = Envelope::new(Ping { n: 1 });
    let txn = db.begin().await.unwrap();
    outbox.enqueue(&txn, &committed).await.unwrap();
    txn.commit().await.unwrap();

    let rolled_back = Envelope::new(Ping { n: 2 });
    let txn = db.begin().await.unwrap();
    outbox.enqueue(&txn, &rolled_back).await.unwrap();
    txn.rollback().await.unwrap();

    let _relay = OutboxRelay::spawn(db.clone(), t.broker.clone(), outbox.clone());
    outbox.wake();

    assert!(wait_until(Duration::from_secs(5), || !seen.lock().unwrap().is_empty()).await);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let ids: Vec<_> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.incoming.envelope.id)
        .collect();
    assert_eq!(ids, [committed.id]);
    assert_eq!(published_count(&db).await, 1);
}

#[tokio::test]
async fn outbox_messages_carry_the_trace_of_the_request_that_wrote_them() {
    let t = broker().await;
    let db = database(&t.stack).await;
    let outbox = Outbox::new();
    let (handler, seen) = recorder(|_| Outcome::Done);
    let _consumer = t.broker.consume(options(1), handler);

    let request = RequestContext::new_root();
    request
        .clone()
        .scope(async {
            let txn = db.begin().await.unwrap();
            outbox
                .enqueue(&txn, &Envelope::new(Ping { n: 1 }))
                .await
                .unwrap();
            txn.commit().await.unwrap();
        })
        .await;
    let _relay = OutboxRelay::spawn(db.clone(), t.broker.clone(), outbox.clone());

    assert!(wait_until(Duration::from_secs(5), || !seen.lock().unwrap().is_empty()).await);
    let context = seen.lock().unwrap()[0].context.clone().unwrap();
    assert_eq!(context.trace.trace_id, request.trace.trace_id);
    assert_eq!(context.request_id, request.request_id);
}

#[tokio::test]
async fn outbox_rows_wait_while_the_broker_is_unreachable() {
    let t = broker().await;
    let db = database(&t.stack).await;
    // A broker handle that can never connect.
    let unreachable = dayone_broker::Broker::start(
        dayone_broker::BrokerSettings {
            port: dayone_test_support::closed_port(),
            ..t.broker.settings().clone()
        },
        crate::helpers::QUEUES,
        "unreachable",
    );
    let outbox = Outbox::new();
    let txn = db.begin().await.unwrap();
    outbox
        .enqueue(&txn, &Envelope::new(Ping { n: 1 }))
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let _relay = OutboxRelay::spawn(db.clone(), unreachable.clone(), outbox.clone());
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(published_count(&db).await, 0, "kept, not dropped");

    // The same row goes out once a reachable broker relays it.
    let _relay = OutboxRelay::spawn(db.clone(), t.broker.clone(), outbox.clone());
    assert!(
        dayone_test_support::eventually(Duration::from_secs(5), || async {
            (published_count(&db).await == 1).then_some(())
        })
        .await
        .is_some()
    );
}

#[tokio::test]
async fn a_claimed_message_id_is_refused_the_second_time_and_a_rolled_back_claim_is_not_kept() {
    let t = broker().await;
    let db = database(&t.stack).await;
    let id = uuid::Uuid::new_v4();

    let txn = db.begin().await.unwrap();
    assert!(idempotency::claim(&txn, "c", id).await.unwrap());
    txn.rollback().await.unwrap();

    let txn = db.begin().await.unwrap();
    assert!(
        idempotency::claim(&txn, "c", id).await.unwrap(),
        "the rollback released it"
    );
    txn.commit().await.unwrap();
    assert!(
        !idempotency::claim(&db, "c", id).await.unwrap(),
        "a redelivery is refused"
    );
    assert!(
        idempotency::claim(&db, "other-consumer", id).await.unwrap(),
        "per consumer"
    );
}
