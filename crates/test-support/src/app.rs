//! Spawning a whole service in-process against the test stack: settings from
//! `config/` with a [`TestEnv`], migrations applied, port 0, and readiness
//! awaited so the broker is connected before the test starts.

use std::future::Future;
use std::time::Duration;

use dayone_web::{RunningService, ServiceSettings};
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;

use crate::{TestEnv, config_dir, eventually};

pub struct TestApp {
    /// `http://127.0.0.1:<port>` of the service's HTTP listener.
    pub address: String,
    pub metrics_address: String,
    pub env: TestEnv,
    pub db: DatabaseConnection,
    pub client: reqwest::Client,
}

/// Migrates `env`'s database with `M`, builds the service with `build` and
/// runs it in the background until the test ends.
pub async fn spawn<S, M, F, Fut>(service: &str, env: TestEnv, build: F) -> TestApp
where
    S: ServiceSettings,
    M: MigratorTrait,
    F: FnOnce(S) -> Fut,
    Fut: Future<Output = anyhow::Result<RunningService>>,
{
    // Logs go to the test's captured output: nextest shows them on failure.
    dayone_telemetry::init(
        "test",
        None,
        dayone_telemetry::LogFormat::Pretty,
        "info,sqlx=warn,lapin=warn,actix_server=warn",
    );
    let settings: S = dayone_web::settings::load_with(service, &config_dir(), env.vars.clone())
        .unwrap_or_else(|e| panic!("test settings for {service}: {e}"));
    let db = env.db().await.expect("test database");
    M::up(&db, None)
        .await
        .expect("migrations apply to a fresh database");
    let running = build(settings).await.expect("the service builds");
    let app = TestApp {
        address: format!("http://127.0.0.1:{}", running.port()),
        metrics_address: format!("http://127.0.0.1:{}", running.metrics_port()),
        env,
        db,
        client: client(),
    };
    tokio::spawn(running.run_until(std::future::pending()));
    app.wait_ready().await;
    app
}

/// A client that drops idle connections before the server's keep-alive
/// (actix: 5 s) closes them, so a request never races the close and fails
/// with `IncompleteMessage`.
pub fn client() -> reqwest::Client {
    client_builder().build().expect("a reqwest client")
}

/// [`client`]'s settings, for a test that adds its own (a local address).
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().pool_idle_timeout(Duration::from_secs(2))
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// The Prometheus text the service serves on its metrics port.
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.metrics_address))
            .send()
            .await
            .expect("the metrics port answers")
            .text()
            .await
            .expect("metrics text")
    }

    pub async fn wait_ready(&self) {
        assert!(
            becomes_ready(&self.client, &self.address, Duration::from_secs(15)).await,
            "{} never became ready",
            self.address
        );
    }
}

/// Whether `GET {address}/ready` answers 200 within `timeout`.
pub async fn becomes_ready(client: &reqwest::Client, address: &str, timeout: Duration) -> bool {
    eventually(timeout, || async {
        let response = client.get(format!("{address}/ready")).send().await.ok()?;
        (response.status() == 200).then_some(())
    })
    .await
    .is_some()
}
