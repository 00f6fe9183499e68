//! `fake-saas --port N`: the fakes as a process, for the native stack.
//! `FAKE_APNS_PUBLIC_KEY_FILE` and `FAKE_FCM_PUBLIC_KEY_FILE` (PEM) make
//! them verify provider-token and service-account signatures.

use std::net::SocketAddr;

use dayone_fakes::{FakeSaas, Keys};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber_init();
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = args
        .iter()
        .position(|a| a == "--port")
        .and_then(|i| args.get(i + 1))
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let read = |var: &str| {
        std::env::var(var)
            .ok()
            .and_then(|path| std::fs::read_to_string(path).ok())
    };
    let keys = Keys {
        apns_public_key: read("FAKE_APNS_PUBLIC_KEY_FILE"),
        fcm_public_key: read("FAKE_FCM_PUBLIC_KEY_FILE"),
    };
    let fake = FakeSaas::start(SocketAddr::from(([127, 0, 0, 1], port)), keys).await?;
    println!("fake SaaS listening on {}", fake.url());
    tokio::signal::ctrl_c().await.ok();
    Ok(())
}

fn tracing_subscriber_init() {
    // Plain request lines (method, path, status); bodies are never logged.
    dayone_telemetry::init("fake-saas", None, dayone_telemetry::LogFormat::Json, "info");
}
