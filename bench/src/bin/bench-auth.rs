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
    // Logins are CPU-bound (bcrypt): two concurrent requests per core keep
    // both cores busy without measuring only queueing.
    let login_workers = options.concurrency.min(4);
    run(login_workers, options.seconds, login)
        .await
        .report(&format!("POST /v1/auth/login (x{login_workers})"));

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
    Ok(())
}
