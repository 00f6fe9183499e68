use std::sync::{Arc, Mutex};
use std::time::Duration;

use dayone_broker::topology::QueueDef;
use dayone_broker::{Broker, BrokerSettings, ConsumerOptions, Handler, Incoming, Outcome};
use dayone_model::Contract;
use dayone_telemetry::RequestContext;
use dayone_test_support::TestStack;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

pub const WORK: QueueDef = QueueDef {
    name: "test.work",
    bindings: &["test.*"],
};
pub const QUEUES: &[QueueDef] = &[WORK];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ping {
    pub n: u32,
}

impl Contract for Ping {
    const TYPE: &'static str = "test.ping";
    const VERSION: u32 = 1;
}

pub struct TestBroker {
    pub broker: Broker,
    pub stack: TestStack,
    pub vhost: String,
}

pub async fn broker() -> TestBroker {
    broker_with(|_| {}).await
}

pub async fn broker_with(adjust: impl FnOnce(&mut BrokerSettings)) -> TestBroker {
    let stack = TestStack::load();
    let vhost = stack.create_vhost().await.unwrap();
    let mut settings = BrokerSettings {
        host: "127.0.0.1".into(),
        port: stack.port("AMQP_PORT"),
        vhost: vhost.clone(),
        username: stack.get("RMQ_USER").into(),
        password: SecretString::from(stack.get("RMQ_PASSWORD")),
        management_port: stack.port("RMQ_MGMT_PORT"),
        prefetch: 10,
        concurrency: 4,
        retry_delays_ms: vec![100, 200],
        quorum_queues: false,
        heartbeat_secs: 10,
    };
    adjust(&mut settings);
    let broker = Broker::start(settings, QUEUES, "broker-test");
    broker
        .wait_connected(Duration::from_secs(10))
        .await
        .expect("test RabbitMQ reachable");
    TestBroker {
        broker,
        stack,
        vhost,
    }
}

/// What a handler saw of one delivery.
#[derive(Debug, Clone)]
pub struct Seen {
    pub incoming: Incoming,
    pub context: Option<RequestContext>,
}

/// A handler that records what it sees and answers with `decide`.
pub struct Recorder<F> {
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub decide: F,
    pub delay: Duration,
}

impl<F> Handler for Recorder<F>
where
    F: Fn(&Incoming) -> Outcome + Send + Sync + 'static,
{
    async fn handle(&self, message: Incoming) -> Outcome {
        tokio::time::sleep(self.delay).await;
        let outcome = (self.decide)(&message);
        self.seen.lock().unwrap().push(Seen {
            incoming: message,
            context: RequestContext::current(),
        });
        outcome
    }
}

pub fn recorder<F>(decide: F) -> (Recorder<F>, Arc<Mutex<Vec<Seen>>>)
where
    F: Fn(&Incoming) -> Outcome + Send + Sync + 'static,
{
    let seen = Arc::new(Mutex::new(Vec::new()));
    (
        Recorder {
            seen: seen.clone(),
            decide,
            delay: Duration::ZERO,
        },
        seen,
    )
}

pub async fn wait_until(timeout: Duration, check: impl Fn() -> bool) -> bool {
    dayone_test_support::eventually(timeout, || async { check().then_some(()) })
        .await
        .is_some()
}

/// Whether `holds` stays true for all of `period`.
pub async fn holds_for(period: Duration, holds: impl Fn() -> bool) -> bool {
    dayone_test_support::consistently(period, || async { holds() }).await
}

/// Consuming the test work queue.
pub fn options(concurrency: usize) -> ConsumerOptions {
    ConsumerOptions {
        queue: WORK.name,
        prefetch: 10,
        concurrency,
        broadcast: None,
    }
}

/// Ready messages in the work queue once they reach `n` (or what is there
/// after 10 s): an exact AMQP count, unlike the management API's samples.
pub async fn ready_messages(t: &TestBroker, n: u32) -> u64 {
    let reached = dayone_test_support::eventually(Duration::from_secs(10), || async {
        (t.broker.queue_depth(WORK.name).await.ok()? == n).then_some(())
    })
    .await;
    match reached {
        Some(()) => u64::from(n),
        None => u64::from(t.broker.queue_depth(WORK.name).await.unwrap_or(0)),
    }
}
