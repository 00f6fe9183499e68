use std::time::Duration;

use dayone_broker::schema::{MESSAGING_TABLES, OUTBOX_PENDING_BY_ID};
use dayone_broker::{Outbox, OutboxRelay, Outcome, idempotency};
use dayone_model::Envelope;
use dayone_telemetry::RequestContext;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};

use crate::helpers::{Ping, broker, holds_for, options, recorder, wait_until};

async fn database(stack: &dayone_test_support::TestStack) -> DatabaseConnection {
    let name = stack.create_database("test_broker").await.unwrap();
    let db = stack.connect(&name).await.unwrap();
    db.execute_unprepared(MESSAGING_TABLES).await.unwrap();
    db.execute_unprepared(OUTBOX_PENDING_BY_ID).await.unwrap();
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
    // The rolled-back row never follows.
    assert!(
        holds_for(Duration::from_millis(700), || seen.lock().unwrap().len()
            == 1)
        .await
    );
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
async fn the_relays_poll_reads_only_pending_rows_even_on_stale_statistics() {
    let stack = dayone_test_support::TestStack::load();
    let db = database(&stack).await;
    // 50,000 rows, counted while they were all pending, then published: the
    // statistics still say "pending", which once sent the poll down the
    // primary key through every published row.
    db.execute_unprepared(
        "ALTER TABLE outbox_messages SET (autovacuum_enabled = false);
         INSERT INTO outbox_messages (message_id, exchange, routing_key, body)
             SELECT gen_random_uuid(), 'x', 'k', '{}' FROM generate_series(1, 50000);
         ANALYZE outbox_messages;
         UPDATE outbox_messages SET published_at = now();
         INSERT INTO outbox_messages (message_id, exchange, routing_key, body)
             VALUES (gen_random_uuid(), 'x', 'k', '{}');",
    )
    .await
    .unwrap();
    // Vacuumed (the published rows leave the pending index) but not
    // analysed: the column statistics still say "pending".
    db.execute_unprepared("VACUUM outbox_messages")
        .await
        .unwrap();
    let poll = dayone_broker::outbox::POLL_SQL.replace("$1", "16");
    let plan: serde_json::Value = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {poll}"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "QUERY PLAN")
        .unwrap();
    let top = &plan[0]["Plan"];
    let text = plan.to_string();
    assert!(
        text.contains("outbox_messages_pending_id_idx"),
        "the poll must read the pending rows' index: {top}"
    );
    assert_eq!(top["Actual Rows"], 1, "{top}");
    let buffers =
        top["Shared Hit Blocks"].as_i64().unwrap() + top["Shared Read Blocks"].as_i64().unwrap();
    assert!(
        buffers < 50,
        "the poll read {buffers} pages for one pending row"
    );
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
    let kept = dayone_test_support::consistently(Duration::from_millis(1200), || async {
        published_count(&db).await == 0
    })
    .await;
    assert!(kept, "kept, not dropped");

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
