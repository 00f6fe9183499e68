//! Two instances of every service behind the gateway (`REPLICAS=2`): both
//! answer, queue consumers share the work, and killing one instance while
//! clients are busy fails no idempotent request, because nginx retries the
//! other upstream. `scripts/test` restarts the stack with `REPLICAS=2` and
//! sets `DAYONE_REPLICAS=2` before running this binary.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dayone_test_support::accounts::{PASSWORD, login_at, register_at};
use dayone_test_support::{TestStack, console, eventually};
use serde_json::json;

fn require_two_replicas() -> TestStack {
    assert_eq!(
        std::env::var("DAYONE_REPLICAS").as_deref(),
        Ok("2"),
        "run through `make test` (which starts the stack with REPLICAS=2 for this binary)"
    );
    TestStack::load()
}

async fn served_by(client: &reqwest::Client, url: &str) -> String {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response.headers()["x-served-by"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn both_instances_of_every_service_answer_through_the_gateway() {
    let stack = require_two_replicas();
    let client = reqwest::Client::new();
    for dayone_model::services::Service {
        path: prefix,
        name: service,
        ..
    } in dayone_model::services::SERVICES
    {
        let url = format!("{}{prefix}/health", stack.gateway_url());
        let mut seen = BTreeSet::new();
        for _ in 0..12 {
            seen.insert(served_by(&client, &url).await);
        }
        let expected: BTreeSet<String> = [format!("{service}-1"), format!("{service}-2")].into();
        assert_eq!(seen, expected, "{prefix}");
    }
}

/// `broker_messages_consumed_total{queue=...,outcome="done"}` of one replica.
async fn consumed(stack: &TestStack, service: &str, replica: u16, queue: &str) -> f64 {
    let port = stack.metrics_port(service, replica);
    let text = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| {
            l.starts_with("broker_messages_consumed_total{")
                && l.contains(&format!("queue=\"{queue}\""))
                && l.contains("outcome=\"done\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn the_notification_replicas_share_the_email_queue() {
    let stack = require_two_replicas();
    let before = [
        consumed(&stack, "notification", 1, "notification.email").await,
        consumed(&stack, "notification", 2, "notification.email").await,
    ];
    // Each registration queues a welcome and a verification email.
    let client = reqwest::Client::new();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    for i in 0..12 {
        let response = client
            .post(format!("{}/v1/auth/register", stack.gateway_url()))
            .json(&json!({"email": format!("replica-{tag}-{i}@example.com"), "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let shares = eventually(Duration::from_secs(30), || async {
        let now = [
            consumed(&stack, "notification", 1, "notification.email").await - before[0],
            consumed(&stack, "notification", 2, "notification.email").await - before[1],
        ];
        (now[0] + now[1] >= 24.0).then_some(now)
    })
    .await
    .expect("all 24 emails consumed");
    println!(
        "notification.email consumed: notification-1 {}, notification-2 {}",
        shares[0], shares[1]
    );
    assert!(
        shares[0] > 0.0 && shares[1] > 0.0,
        "both replicas consumed: {shares:?}"
    );
}

#[tokio::test]
async fn killing_one_instance_fails_no_idempotent_request_at_the_gateway() {
    let stack = require_two_replicas();
    let client = dayone_test_support::app::client();
    let email = format!("replica-kill-{}@example.com", uuid::Uuid::new_v4().simple());
    register_at(
        &client,
        &stack.gateway_url(),
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    let token = login_at(&client, &stack.gateway_url(), &email).await;
    let me = format!("{}/v1/auth/me", stack.gateway_url());
    let victim = stack.pid("auth-2").expect("auth-2 is running");

    // Eight clients call an authenticated GET for six seconds (about 30
    // requests a second each); two seconds
    // in, auth-2 is killed without warning (in-flight requests included).
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for i in 0..8u8 {
        // Each client from its own loopback address, paced under the
        // gateway's per-IP rate limit (GATEWAY_RATE in test.env).
        let client = dayone_test_support::app::client_builder()
            .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 20 + i)))
            .build()
            .unwrap();
        let (me, token) = (me.clone(), token.clone());
        let (stop, ok) = (stop.clone(), ok.clone());
        workers.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            let mut by = BTreeSet::new();
            while !stop.load(Ordering::Relaxed) {
                match client.get(&me).bearer_auth(&token).send().await {
                    Ok(r) if r.status() == 200 => {
                        if let Some(v) = r.headers().get("x-served-by") {
                            by.insert(v.to_str().unwrap_or("").to_owned());
                        }
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => failures.push(format!("status {}", r.status())),
                    Err(e) => failures.push(e.to_string()),
                }
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
            (failures, by)
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before_kill = ok.load(Ordering::Relaxed);
    let killed_at = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-KILL", &victim.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.store(true, Ordering::Relaxed);

    let mut failures = Vec::new();
    let mut served = BTreeSet::new();
    for worker in workers {
        let (f, by) = worker.await.unwrap();
        failures.extend(f);
        served.extend(by);
    }
    let total = ok.load(Ordering::Relaxed);
    println!(
        "{total} requests answered ({before_kill} before the kill, {} in the {:?} after), {} failed",
        total - before_kill,
        killed_at.elapsed(),
        failures.len()
    );
    assert!(failures.is_empty(), "failed requests: {failures:?}");
    assert!(
        served.contains("auth-1") && served.contains("auth-2"),
        "both served before the kill: {served:?}"
    );
    assert!(
        total - before_kill > 50,
        "requests kept flowing after the kill"
    );
    // Nothing answers as auth-2 any more.
    for _ in 0..6 {
        let response = client.get(&me).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.headers()["x-served-by"], "auth-1");
    }
}

/// The console keeps its sessions in Redis: signed in through one instance,
/// an admin's pages come from either.
#[tokio::test]
async fn a_console_session_opens_pages_on_every_ops_instance() {
    let stack = require_two_replicas();
    let email = format!("console-{}@example.com", uuid::Uuid::new_v4().simple());
    stack.script(&["admin", &email, PASSWORD]).await;
    let session = console::sign_in(&stack.gateway_url(), &email).await;
    let client = reqwest::Client::new();
    for replica in [1, 2] {
        let port = stack.service_port("ops", replica);
        let page = client
            .get(format!("http://127.0.0.1:{port}/console/"))
            .header("cookie", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "ops-{replica}");
        assert!(page.text().await.unwrap().contains(&email), "ops-{replica}");
    }
}

/// An in-app notification reaches a user's streams on both instances
/// within a second, whichever instance handled the job.
#[tokio::test]
async fn an_inbox_item_reaches_streams_on_both_instances_within_a_second() {
    use dayone_test_support::sse::Events;
    let stack = require_two_replicas();
    let client = reqwest::Client::new();
    let gateway = stack.gateway_url();
    let admin_email = format!(
        "replica-admin-{}@example.com",
        uuid::Uuid::new_v4().simple()
    );
    stack.script(&["admin", &admin_email, PASSWORD]).await;
    let admin = login_at(&client, &gateway, &admin_email).await;
    let key = format!(
        "replica.{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let bearer = |token: &str| format!("Bearer {token}");
    let created = client
        .post(format!("{gateway}/v1/notifications/templates"))
        .header("authorization", bearer(&admin))
        .json(
            &json!({"key": key, "category": "transactional", "default_locale": "en",
            "content": {"en": {"in_app": {"title": "Hello from a replica", "body": "."}}}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let published = client
        .post(format!(
            "{gateway}/v1/notifications/templates/{key}/publish"
        ))
        .header("authorization", bearer(&admin))
        .json(&json!({"version": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 200);

    let email = format!(
        "replica-inbox-{}@example.com",
        uuid::Uuid::new_v4().simple()
    );
    let account = register_at(
        &client,
        &gateway,
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    let token = login_at(&client, &gateway, &email).await;
    let mut streams = Vec::new();
    for replica in [1, 2] {
        let port = stack.service_port("notification", replica);
        let response = client
            .get(format!("http://127.0.0.1:{port}/v1/inbox/stream"))
            .header("authorization", bearer(&token))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let mut events = Events::new(response);
        assert!(events.opened(Duration::from_secs(5)).await);
        streams.push(events);
    }
    let sent = Instant::now();
    let accepted = client
        .post(format!("{gateway}/v1/notifications"))
        .header("authorization", bearer(&admin))
        .json(&json!({"channel": "in_app", "template": key, "recipient": {"user_uuid": account["uuid"]}, "variables": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);
    for (replica, events) in streams.iter_mut().enumerate() {
        let event = events
            .next(Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("nothing on notification-{}", replica + 1));
        assert_eq!(event.json()["title"], "Hello from a replica");
        let took = sent.elapsed();
        println!("notification-{}: the item after {took:?}", replica + 1);
        assert!(
            took < Duration::from_secs(1),
            "notification-{}: {took:?}",
            replica + 1
        );
    }
}
