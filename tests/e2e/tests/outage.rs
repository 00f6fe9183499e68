//! Faults on the running test stack: RabbitMQ stopped and started again
//! under live services, and a service stopped behind the gateway. These stop
//! shared components, so `make test` runs them alone, after the rest.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::time::{Duration, Instant};

use dayone_auth::users::{NewUser, create_user};
use dayone_broker::Outbox;
use dayone_model::BaseEntity;
use dayone_notification::entities::contact;
use dayone_test_support::{TestStack, eventually};
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

use dayone_model::services::SERVICES;

/// `status` from every service.
fn every(status: u16) -> Vec<u16> {
    vec![status; SERVICES.len()]
}

async fn ready_statuses(stack: &TestStack) -> Vec<u16> {
    let mut statuses = Vec::new();
    for service in SERVICES {
        let status = reqwest::get(format!("{}{}/ready", stack.gateway_url(), service.path))
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0);
        statuses.push(status);
    }
    statuses
}

async fn create_account(auth_db: &DatabaseConnection) -> Uuid {
    create_user(
        auth_db,
        &Outbox::new(),
        NewUser {
            email: format!("{}@outage.example.com", Uuid::new_v4().simple()),
            password_hash: "$2b$04$x".into(),
            name: None,
            phone: None,
            locale: None,
            roles: vec!["user".into()],
        },
    )
    .await
    .unwrap()
    .uuid
}

async fn contact_arrives(
    notification_db: &DatabaseConnection,
    user: Uuid,
    within: Duration,
) -> bool {
    eventually(within, || async {
        contact::Entity::active()
            .filter(contact::Column::UserUuid.eq(user))
            .one(notification_db)
            .await
            .ok()
            .flatten()
    })
    .await
    .is_some()
}

#[tokio::test]
async fn services_follow_rabbitmq_down_and_up_without_a_restart_and_lose_nothing() {
    let stack = TestStack::load();
    assert_eq!(
        ready_statuses(&stack).await,
        every(200),
        "the stack starts ready"
    );
    let pids: Vec<_> = SERVICES
        .iter()
        .map(|s| stack.pid(&format!("{}-1", s.name)))
        .collect();
    let auth_db = stack.connect("dayone_auth").await.unwrap();
    let notification_db = stack.connect("dayone_notification").await.unwrap();

    // Stop RabbitMQ. Readiness is measured from the moment the AMQP port
    // stops accepting connections.
    let stopping = tokio::spawn({
        let stack = stack.clone();
        async move { stack.script(&["stop", "rabbitmq"]).await }
    });
    let amqp = format!("127.0.0.1:{}", stack.port("AMQP_PORT"));
    let closed = eventually(Duration::from_secs(60), || async {
        tokio::net::TcpStream::connect(&amqp)
            .await
            .is_err()
            .then(Instant::now)
    })
    .await
    .expect("RabbitMQ stopped listening");
    let all_unready = eventually(Duration::from_secs(10), || async {
        (ready_statuses(&stack).await == every(503)).then(Instant::now)
    })
    .await
    .expect("every /ready turned 503");
    let took = all_unready.saturating_duration_since(closed);
    assert!(took <= Duration::from_secs(5), "took {took:?}");
    // Which dependency is down is told on the service's own port (probes,
    // operators); through the gateway, only that it cannot work.
    let internal = format!("http://127.0.0.1:{}/ready", stack.service_port("auth", 1));
    let body: Value = reqwest::get(internal).await.unwrap().json().await.unwrap();
    assert_eq!(body["checks"]["rabbitmq"]["status"], "down");
    assert_eq!(body["checks"]["postgres"]["status"], "up");
    let public: Value = reqwest::get(format!("{}/v1/auth/ready", stack.gateway_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(public["code"], "dependency_unavailable");
    assert!(public.get("checks").is_none(), "{public}");
    assert!(!public.to_string().contains("rabbitmq"), "{public}");
    stopping.await.unwrap();

    // Work accepted while the broker is down waits in auth's outbox.
    let during = create_account(&auth_db).await;

    stack.script(&["start", "rabbitmq"]).await;
    let recovered = eventually(Duration::from_secs(30), || async {
        (ready_statuses(&stack).await == every(200)).then_some(())
    })
    .await;
    assert!(recovered.is_some(), "every /ready turned 200 again");
    let pids_after: Vec<_> = SERVICES
        .iter()
        .map(|s| stack.pid(&format!("{}-1", s.name)))
        .collect();
    assert_eq!(pids, pids_after, "no service was restarted");

    // Publishing works again, and the message from the outage was not lost.
    assert!(contact_arrives(&notification_db, during, Duration::from_secs(20)).await);
    let after = create_account(&auth_db).await;
    assert!(contact_arrives(&notification_db, after, Duration::from_secs(10)).await);
}

#[tokio::test]
async fn a_stopped_service_is_a_json_503_at_the_gateway_and_comes_back() {
    let stack = TestStack::load();
    stack.script(&["stop", "scheduler"]).await;
    let response = reqwest::get(format!("{}/v1/scheduler/health", stack.gateway_url()))
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    stack.script(&["start", "scheduler"]).await;

    assert_eq!(status, 503);
    assert_eq!(body["code"], "service_unavailable");
    let back = eventually(Duration::from_secs(20), || async {
        let r = reqwest::get(format!("{}/v1/scheduler/ready", stack.gateway_url()))
            .await
            .ok()?;
        (r.status() == 200).then_some(())
    })
    .await;
    assert!(back.is_some(), "the scheduler came back");
}
