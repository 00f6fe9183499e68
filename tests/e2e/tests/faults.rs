//! The fault suite: notifications queued through the gateway while one part
//! of the running test stack fails at a time — the notification process
//! killed with SIGKILL, PostgreSQL, RabbitMQ, the SMTP server and Redis each
//! stopped for a while. Every accepted notification is then counted where
//! it lands: MailDev's message files on disk (kept across its restarts;
//! its REST list is not) and the fake SMS gateway's record of calls.
//!
//! The client is an honest one: it retries what failed with the same
//! `Idempotency-Key` until it is accepted, as the API asks. After each fault
//! the dead-letter queues are replayed (the test stack retries within a
//! second, so an outage of seconds exhausts the retries), and then:
//! 0 lost, 0 sent twice — an email may arrive twice only as two copies of
//! one Message-ID (the catcher dropped its acknowledgement, or the process
//! died between the send and its record) — every notification `sent`, and
//! every dead-letter queue empty.
//!
//! `DAYONE_FAULT_N` sets the notifications per fault (1,000 by default; the
//! figures in the issue note are from 10,000). Each phase's figures are
//! printed and appended to `.state/test/logs/faults.txt`. These stop shared
//! components, so `make test` runs them alone, after the rest.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dayone_test_support::accounts::{PASSWORD, login_at};
use dayone_test_support::{TestStack, eventually, repo_root};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use uuid::Uuid;

const SERVICE_TOKEN: &str = "dev-insecure-notification-service-token";
const QUEUES: [&str; 3] = [
    "notification.email",
    "sms.transactional",
    "notification.user-events",
];
/// Senders at once, each from its own loopback address (the gateway limits
/// requests per address).
const SENDERS: usize = 16;

fn per_fault() -> usize {
    std::env::var("DAYONE_FAULT_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000)
}

/// One notification of a phase: an email (9 in 10) or a transactional SMS.
#[derive(Clone)]
struct Job {
    key: String,
    address: String,
    body: Value,
    email: bool,
}

fn jobs(phase: u8, run: u16, n: usize) -> Vec<Job> {
    (0..n)
        .map(|i| {
            let key = format!("fault-{run}-{phase}-{i}");
            if i % 10 == 9 {
                let phone = format!("+19{run:04}{phase}{i:05}");
                Job {
                    key,
                    address: phone.clone(),
                    body: json!({
                        "channel": "sms", "category": "transactional",
                        "recipient": {"phone": phone},
                        "template": "login_code", "code": format!("{:06}", i % 1_000_000),
                        "expires_in_minutes": 5,
                    }),
                    email: false,
                }
            } else {
                let email = format!("f{run}-{phase}-{i}@faults.example.com");
                Job {
                    key,
                    address: email.clone(),
                    body: json!({"channel": "email", "recipient": {"email": email}, "template": "welcome"}),
                    email: true,
                }
            }
        })
        .collect()
}

/// What the clients saw.
#[derive(Default)]
struct Sent {
    /// Notification uuid per job key, from the 202s.
    accepted: HashMap<String, String>,
    /// Answers other than 202, by status (0: no answer at all).
    refusals: BTreeMap<u16, usize>,
    /// The slowest 503 from the API (not nginx's own): how fast an outage
    /// is answered.
    slowest_503: Duration,
    /// 503s whose body was not a JSON error with `Retry-After`.
    bad_503s: usize,
}

/// Queues every job through the gateway, retrying each with its key until
/// accepted or `give_up` has passed.
async fn send_all(stack: &TestStack, jobs: Vec<Job>, give_up: Duration) -> Sent {
    let queue = Arc::new(Mutex::new(jobs));
    let sent = Arc::new(Mutex::new(Sent::default()));
    let started = Instant::now();
    let mut senders = Vec::new();
    for s in 0..SENDERS {
        let client = reqwest::Client::builder()
            .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 1, 10 + s as u8)))
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let url = format!("{}/v1/notifications", stack.gateway_url());
        let (queue, sent) = (queue.clone(), sent.clone());
        senders.push(tokio::spawn(async move {
            loop {
                let Some(job) = queue.lock().await.pop() else {
                    return;
                };
                loop {
                    let t0 = Instant::now();
                    let answer = client
                        .post(&url)
                        .header("x-service-token", SERVICE_TOKEN)
                        .header("idempotency-key", &job.key)
                        .json(&job.body)
                        .send()
                        .await;
                    let took = t0.elapsed();
                    let (status, retry_after, body) = match answer {
                        Ok(r) => {
                            let status = r.status().as_u16();
                            let retry_after = r.headers().contains_key("retry-after");
                            (
                                status,
                                retry_after,
                                r.json::<Value>().await.unwrap_or(Value::Null),
                            )
                        }
                        Err(_) => (0, false, Value::Null),
                    };
                    let mut record = sent.lock().await;
                    if status == 202 {
                        let uuid = body["uuid"].as_str().unwrap_or_default().to_owned();
                        record.accepted.insert(job.key.clone(), uuid);
                        break;
                    }
                    *record.refusals.entry(status).or_default() += 1;
                    if status == 503 && body["code"] == "dependency_unavailable" {
                        record.slowest_503 = record.slowest_503.max(took);
                    }
                    if status == 503 && (!retry_after || body["code"].as_str().is_none()) {
                        record.bad_503s += 1;
                    }
                    drop(record);
                    if started.elapsed() > give_up {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        }));
    }
    for sender in senders {
        sender.await.unwrap();
    }
    Arc::try_unwrap(sent).ok().unwrap().into_inner()
}

/// `(recipient, Message-ID)` of every message file MailDev wrote.
fn mail_files() -> Vec<(String, String)> {
    let dir = repo_root().join(".state/test/mail");
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "eml") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let mut to = String::new();
        let mut id = String::new();
        for line in text.lines().take_while(|l| !l.is_empty()) {
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("to:") {
                let v = v.trim();
                to = match (v.find('<'), v.rfind('>')) {
                    (Some(a), Some(b)) if a < b => v[a + 1..b].to_owned(),
                    _ => v.to_owned(),
                };
            } else if let Some(v) = lower.strip_prefix("message-id:") {
                id = v.trim().to_owned();
            }
        }
        found.push((to, id));
    }
    found
}

/// Per phone: (calls the fake SMS gateway answered 201, distinct
/// idempotency keys among them).
async fn sms_calls(stack: &TestStack) -> HashMap<String, (usize, BTreeSet<String>)> {
    let url = format!("http://127.0.0.1:{}/_fake/sms", stack.port("FAKES_PORT"));
    let list: Vec<Value> = reqwest::get(url).await.unwrap().json().await.unwrap();
    let mut calls: HashMap<String, (usize, BTreeSet<String>)> = HashMap::new();
    for call in list.iter().filter(|c| c["status"] == 201) {
        let to = call["body"]["To"].as_str().unwrap_or_default().to_owned();
        let entry = calls.entry(to).or_default();
        entry.0 += 1;
        entry
            .1
            .insert(call["headers"]["idempotency-key"].to_string());
    }
    calls
}

/// An admin request to the notification service's dead-letter routes;
/// `Null` when it got no JSON answer (RabbitMQ down, say).
async fn admin_call(stack: &TestStack, admin: &str, method: reqwest::Method, path: &str) -> Value {
    let url = format!(
        "{}/v1/notifications/admin/dead-letters{path}",
        stack.gateway_url()
    );
    let sent = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(admin)
        .send()
        .await;
    match sent {
        Ok(response) => response.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

async fn dead_letters(stack: &TestStack, admin: &str) -> u64 {
    let body = admin_call(stack, admin, reqwest::Method::GET, "").await;
    QUEUES
        .iter()
        .map(|q| body["dead_letters"][q].as_u64().unwrap_or(0))
        .sum()
}

async fn replay(stack: &TestStack, admin: &str) -> u64 {
    let mut moved = 0;
    for queue in QUEUES {
        let path = format!("/{queue}/replay?limit=100000");
        let body = admin_call(stack, admin, reqwest::Method::POST, &path).await;
        moved += body["replayed"].as_u64().unwrap_or(0);
    }
    moved
}

/// Statuses of the accepted notifications, counted.
async fn statuses(stack: &TestStack, accepted: &BTreeSet<String>) -> BTreeMap<String, usize> {
    let Ok(db) = stack.connect("dayone_notification").await else {
        return BTreeMap::new();
    };
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT uuid::text AS uuid, status FROM notifications \
             WHERE created_at > now() - interval '30 minutes'",
        ))
        .await
        .unwrap_or_default();
    let _ = db.close().await;
    let mut counts = BTreeMap::new();
    let mut seen = 0;
    for row in rows {
        let uuid: String = row.try_get("", "uuid").unwrap();
        if accepted.contains(&uuid) {
            seen += 1;
            *counts
                .entry(row.try_get("", "status").unwrap())
                .or_default() += 1;
        }
    }
    counts.insert("(no row)".into(), accepted.len() - seen);
    counts.retain(|_, n| *n > 0);
    counts
}

async fn admin_token(stack: &TestStack) -> String {
    let email = format!("admin-{}@faults.example.com", Uuid::new_v4().simple());
    stack.script(&["admin", &email, PASSWORD]).await;
    login_at(&reqwest::Client::new(), &stack.gateway_url(), &email).await
}

/// The faults, one per phase.
#[derive(Debug, Clone, Copy)]
enum Fault {
    KillNotification,
    Postgres,
    Rabbitmq,
    Smtp,
    Redis,
}

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::KillNotification => "notification killed (SIGKILL) and restarted",
            Fault::Postgres => "PostgreSQL stopped for 15 s",
            Fault::Rabbitmq => "RabbitMQ stopped for 20 s",
            Fault::Smtp => "SMTP server stopped for 30 s",
            Fault::Redis => "Redis stopped for 15 s",
        }
    }

    async fn inject(self, stack: &TestStack) {
        let (component, down) = match self {
            Fault::KillNotification => {
                stack.script(&["kill", "notification"]).await;
                stack.script(&["start", "notification"]).await;
                return;
            }
            Fault::Postgres => ("postgres", 15),
            Fault::Rabbitmq => ("rabbitmq", 20),
            Fault::Smtp => ("maildev", 30),
            Fault::Redis => ("redis", 15),
        };
        stack.script(&["stop", component]).await;
        tokio::time::sleep(Duration::from_secs(down)).await;
        stack.script(&["start", component]).await;
    }
}

async fn run_phase(
    stack: &TestStack,
    admin: &str,
    fault: Fault,
    phase: u8,
    run: u16,
) -> Vec<String> {
    let n = per_fault();
    let all = jobs(phase, run, n);
    let started = Instant::now();
    let sending = tokio::spawn({
        let stack = stack.clone();
        let all = all.clone();
        async move { send_all(&stack, all, Duration::from_secs(300)).await }
    });
    // The fault lands while notifications are being accepted and sent (a
    // few hundred have gone out by then).
    tokio::time::sleep(Duration::from_secs(3)).await;
    fault.inject(stack).await;
    let sent = sending.await.unwrap();
    let accepted: BTreeSet<String> = sent.accepted.values().cloned().collect();
    let sent_at = started.elapsed();

    // Drain: replay what the outage dead-lettered until every accepted
    // notification is sent and no dead letter is left.
    let replayed = AtomicU64::new(0);
    let drained = eventually(Duration::from_secs(240), || async {
        let counts = statuses(stack, &accepted).await;
        let all_sent = counts.get("sent") == Some(&accepted.len());
        let waiting = dead_letters(stack, admin).await;
        if waiting > 0 {
            replayed.fetch_add(replay(stack, admin).await, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(500)).await;
            return None;
        }
        if all_sent {
            return Some(counts);
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        None
    })
    .await;
    let drain_time = started.elapsed();
    let final_statuses = statuses(stack, &accepted).await;
    // Late copies (deferred behind a dead worker's claim) settle too.
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Count at the receiving end.
    let files = mail_files();
    let mut mail: HashMap<&str, (usize, BTreeSet<&str>)> = HashMap::new();
    for (to, id) in &files {
        let entry = mail.entry(to.as_str()).or_default();
        entry.0 += 1;
        entry.1.insert(id.as_str());
    }
    let sms = sms_calls(stack).await;
    let (mut once, mut lost, mut twice, mut same_id_copies) = (0, 0, 0, 0);
    let mut problems = Vec::new();
    for job in all.iter().filter(|j| sent.accepted.contains_key(&j.key)) {
        let (copies, ids) = if job.email {
            let (copies, ids) = mail.get(job.address.as_str()).cloned().unwrap_or_default();
            (copies, ids.len())
        } else {
            let (calls, keys) = sms.get(&job.address).cloned().unwrap_or_default();
            (calls, keys.len())
        };
        match ids {
            0 => {
                lost += 1;
                problems.push(format!("lost: {}", job.address));
            }
            1 => once += 1,
            _ => {
                twice += 1;
                problems.push(format!("sent twice: {} ({ids} different ids)", job.address));
            }
        }
        same_id_copies += copies.saturating_sub(ids.max(1));
    }
    let replayed = replayed.load(Ordering::Relaxed);
    let line = format!(
        "{}: {n} queued, {} accepted, {once} once, {lost} lost, {twice} twice, \
         {same_id_copies} extra copies of one Message-ID/key, final statuses {final_statuses:?}, \
         {replayed} replayed from dead letters, refusals seen by the client {:?} \
         (slowest API 503 {} ms), all accepted and the fault over after {:.1} s, drained after {:.1} s",
        fault.name(),
        accepted.len(),
        sent.refusals,
        sent.slowest_503.as_millis(),
        sent_at.as_secs_f64(),
        drain_time.as_secs_f64(),
    );
    println!("{line}");
    if let Ok(mut report) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(stack.log_dir().join("faults.txt"))
    {
        let _ = writeln!(report, "{line}");
    }

    if accepted.len() != n {
        problems.push(format!("only {} of {n} were accepted", accepted.len()));
    }
    if drained.is_none() {
        problems.push(format!("not drained: {final_statuses:?}"));
    }
    if sent.bad_503s > 0 {
        problems.push(format!(
            "{} 503s without a JSON body and Retry-After",
            sent.bad_503s
        ));
    }
    if sent.slowest_503 > Duration::from_secs(1) {
        problems.push(format!("a 503 took {} ms", sent.slowest_503.as_millis()));
    }
    problems.truncate(20);
    problems
}

/// Every fault in turn on one running stack, each with its own
/// notifications; the stack is back to ready between phases.
#[tokio::test]
async fn no_accepted_notification_is_lost_or_sent_twice_under_any_fault() {
    let stack = TestStack::load();
    let admin = admin_token(&stack).await;
    // Each phase replays every dead letter until none is left. What earlier
    // tests left there on this shared stack (the API check's throwaway
    // notifications to nobody, which fail again on every replay) is not
    // this suite's to drain: start from empty dead-letter queues.
    for queue in QUEUES {
        stack.purge("/", &format!("{queue}.dlq")).await.unwrap();
    }
    let run = (Uuid::new_v4().as_u128() % 10_000) as u16;
    let faults = [
        Fault::KillNotification,
        Fault::Postgres,
        Fault::Rabbitmq,
        Fault::Smtp,
        Fault::Redis,
    ];
    let mut failures = Vec::new();
    for (phase, fault) in faults.into_iter().enumerate() {
        let problems = run_phase(&stack, &admin, fault, phase as u8, run).await;
        if !problems.is_empty() {
            failures.push(format!("{}:\n  {}", fault.name(), problems.join("\n  ")));
        }
        stack.script(&["wait-ready"]).await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
