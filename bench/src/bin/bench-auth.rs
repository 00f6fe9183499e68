//! Auth through the gateway: logins per second (bcrypt-bound) and
//! `GET /v1/auth/me` requests per second (token verification), with p50 and
//! p99 latency.
//!
//!   cargo run --release -p dayone-bench --bin bench-auth -- [--gateway URL] [--seconds N] [--concurrency N]
//!
//! (Binaries here are named `bench-*`: the workspace shares one target/, and
//! a bench named like a service would overwrite the service binary.)

use std::sync::Arc;

use dayone_bench::{Options, client, clients, pick, run};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::from_args(16);
    let base = Arc::new(options.gateway.clone());
    let setup = client(0);
    let email = format!("bench-{}@example.com", uuid::Uuid::new_v4().simple());
    let password = "a benchmark passphrase";
    let registered = setup
        .post(format!("{base}/v1/auth/register"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await?;
    anyhow::ensure!(
        registered.status() == 201,
        "register: {}",
        registered.text().await?
    );
    let body = Arc::new(json!({"email": email, "password": password}));

    let clients: Arc<Vec<reqwest::Client>> = Arc::new(clients());
    println!(
        "gateway {base}, {} workers, {} s per phase",
        options.concurrency, options.seconds
    );

    let login = {
        let (base, body, clients) = (base.clone(), body.clone(), clients.clone());
        move |worker: usize, n: usize| {
            let (base, body, clients) = (base.clone(), body.clone(), clients.clone());
            async move {
                pick(&clients, worker, n)
                    .post(format!("{base}/v1/auth/login"))
                    .json(&*body)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            }
        }
    };
    // One hash's time, as the service takes it: logins one at a time.
    let mut alone = run(1, options.seconds.min(5), login.clone()).await;
    alone.ok.sort_unstable();
    let one_hash = alone
        .ok
        .get(alone.ok.len() / 2)
        .copied()
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let ideal = cores as f64 / one_hash.as_secs_f64().max(1e-9);
    // Logins are CPU-bound (bcrypt): two concurrent requests per core keep
    // both cores busy without measuring only queueing.
    let login_workers = options.concurrency.min(4);
    let busy = run(login_workers, options.seconds, login.clone()).await;
    let rate = busy.ok.len() as f64 / busy.elapsed.as_secs_f64();
    busy.report(&format!("POST /v1/auth/login (x{login_workers})"));
    println!(
        "    one login alone takes {:.0} ms (p50), so {cores} cores can do {ideal:.2}/s: logins ran at {:.2} x that",
        one_hash.as_secs_f64() * 1000.0,
        rate / ideal,
    );
    // Overload: more logins than the pool can start within the service's
    // wait bound (auth.hashing_max_wait_ms); the excess is refused with 503
    // at once, and the answered ones stay within the bound plus one hash.
    // These clients do what a client should with a 503: wait Retry-After.
    let overload = options.concurrency.max(16);
    let refused = Arc::new(std::sync::Mutex::new(Vec::new()));
    let polite = {
        let (base, body, clients, refused) =
            (base.clone(), body.clone(), clients.clone(), refused.clone());
        move |worker: usize, n: usize| {
            let (base, body, clients, refused) =
                (base.clone(), body.clone(), clients.clone(), refused.clone());
            async move {
                let sent = std::time::Instant::now();
                let Ok(response) = pick(&clients, worker, n)
                    .post(format!("{base}/v1/auth/login"))
                    .json(&*body)
                    .send()
                    .await
                else {
                    return false;
                };
                if response.status() == 503 {
                    if let Ok(mut refused) = refused.lock() {
                        refused.push(sent.elapsed());
                    }
                    let wait = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(1u64);
                    tokio::time::sleep(std::time::Duration::from_secs(wait.min(5))).await;
                }
                response.status() == 200
            }
        }
    };
    run(overload, options.seconds, polite)
        .await
        .report(&format!(
            "POST /v1/auth/login (x{overload}, overload; failed = 503)"
        ));
    if let Ok(mut refused) = refused.lock() {
        refused.sort_unstable();
        let slowest = refused.last().copied().unwrap_or_default();
        println!(
            "    {} refused with 503 + Retry-After (the clients waited it out), the slowest refusal in {:.1} ms",
            refused.len(),
            slowest.as_secs_f64() * 1000.0
        );
    }

    let tokens: Value = setup
        .post(format!("{base}/v1/auth/login"))
        .json(&*body)
        .send()
        .await?
        .json()
        .await?;
    let token = Arc::new(
        tokens["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    );
    let me = {
        let (base, clients) = (base.clone(), clients.clone());
        move |worker: usize, n: usize| {
            let (base, token, clients) = (base.clone(), token.clone(), clients.clone());
            async move {
                pick(&clients, worker, n)
                    .get(format!("{base}/v1/auth/me"))
                    .bearer_auth(&*token)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            }
        }
    };
    run(options.concurrency, options.seconds, me)
        .await
        .report(&format!("GET /v1/auth/me (x{})", options.concurrency));
    enumeration_timing(&setup, &base).await
}

/// Reset-link and login-code requests, one at a time, for accounts that
/// exist and for ones that do not, alternating: the medians should not
/// tell them apart (auth answers no sooner than a floor either way).
async fn enumeration_timing(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    const ROUNDS: usize = 20;
    let mut known = Vec::new();
    for _ in 0..ROUNDS {
        let id = uuid::Uuid::new_v4();
        let email = format!("timing-{}@example.com", id.simple());
        let phone = format!("+1555{:07}", id.as_u128() % 10_000_000);
        let response = client
            .post(format!("{base}/v1/auth/register"))
            .json(&json!({"email": email, "password": "a benchmark passphrase", "phone": phone}))
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == 201,
            "register: {}",
            response.text().await?
        );
        known.push((email, phone));
    }
    let timed = |path: &'static str, body: Value| async move {
        let started = std::time::Instant::now();
        let response = client
            .post(format!("{base}{path}"))
            .json(&body)
            .send()
            .await;
        let ok = response.is_ok_and(|r| r.status() == 202);
        ok.then(|| started.elapsed())
    };
    let median = |mut v: Vec<std::time::Duration>| {
        v.sort_unstable();
        v.get(v.len() / 2)
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1000.0
    };
    for (path, field) in [
        ("/v1/auth/password/forgot", "email"),
        ("/v1/auth/otp/request", "phone"),
    ] {
        let (mut yes, mut no) = (Vec::new(), Vec::new());
        for (i, (email, phone)) in known.iter().enumerate() {
            let id = uuid::Uuid::new_v4();
            let (existing, unknown) = if field == "email" {
                (email.clone(), format!("nobody-{}@example.com", id.simple()))
            } else {
                (
                    phone.clone(),
                    format!("+1556{:07}", id.as_u128() % 10_000_000),
                )
            };
            // Alternate which goes first, so drift hits both alike.
            let pair = [existing, unknown];
            let order = if i % 2 == 0 { [0, 1] } else { [1, 0] };
            for which in order {
                let took = timed(path, json!({ field: pair[which] })).await;
                let took = took.ok_or_else(|| anyhow::anyhow!("{path} was not a 202"))?;
                if which == 0 {
                    yes.push(took)
                } else {
                    no.push(took)
                }
            }
        }
        let (yes, no) = (median(yes), median(no));
        println!(
            "{path:<26} known {yes:6.1} ms, unknown {no:6.1} ms (medians of {ROUNDS}): ratio {:.2}",
            yes.max(no) / yes.min(no).max(1e-9)
        );
    }
    Ok(())
}
