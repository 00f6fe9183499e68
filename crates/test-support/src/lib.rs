//! Helpers for black-box tests against the real test infrastructure that
//! `make test` (or `scripts/stack test infra-up`) runs on the ports of
//! `scripts/env/test.env`.
//!
//! Every test gets its own PostgreSQL database, its own RabbitMQ vhost and
//! its own Redis key prefix ([`TestEnv::new`]), so tests run in parallel
//! without seeing each other's data, and listeners bind port 0.

// Only tests use this crate, and a test should fail loudly at the first
// broken assumption.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;

pub mod accounts;
pub mod app;
pub mod console;
pub mod mail;
pub mod passkey;
pub mod process;
pub mod sse;
pub mod tokens;
pub mod totp;

/// The repository root: the nearest directory holding `scripts/stack`
/// above the running test's package (cargo and nextest set
/// `CARGO_MANIFEST_DIR` at run time too), else above the working directory.
/// Not the path this crate was compiled at: a test binary built from one
/// checkout and reused from another, through a shared `target/`, must still
/// drive the checkout it runs in.
pub fn repo_root() -> PathBuf {
    let compiled_at = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .and_then(|start| {
            start
                .ancestors()
                .find(|dir| dir.join("scripts/stack").is_file())
                .map(Path::to_path_buf)
        })
        .unwrap_or(compiled_at);
    root.canonicalize().unwrap_or(root)
}

/// The `config/` directory services load their settings from.
pub fn config_dir() -> PathBuf {
    repo_root().join("config")
}

/// The ports and credentials of the test stack (`scripts/env/test.env`).
#[derive(Debug, Clone)]
pub struct TestStack {
    vars: HashMap<String, String>,
}

impl TestStack {
    pub fn load() -> Self {
        let path = repo_root().join("scripts/env/test.env");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let vars = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Self { vars }
    }

    pub fn get(&self, key: &str) -> &str {
        self.vars
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{key} missing from scripts/env/test.env"))
    }

    /// The HTTP port of one replica (1, 2..) of a service of services.toml.
    pub fn service_port(&self, service: &str, replica: u16) -> u16 {
        self.port("SERVICE_PORT_BASE") + Self::offset(service, replica)
    }

    /// The metrics port of one replica of a service.
    pub fn metrics_port(&self, service: &str, replica: u16) -> u16 {
        self.port("METRICS_PORT_BASE") + Self::offset(service, replica)
    }

    fn offset(service: &str, replica: u16) -> u16 {
        let entry = dayone_model::services::service(service)
            .unwrap_or_else(|| panic!("no service `{service}` in services.toml"));
        entry.port + 10 * (replica - 1)
    }

    pub fn port(&self, key: &str) -> u16 {
        self.get(key)
            .parse()
            .unwrap_or_else(|_| panic!("{key} is not a port"))
    }

    /// Where the running test stack's components write their logs.
    pub fn log_dir(&self) -> PathBuf {
        repo_root().join(".state/test/logs")
    }

    /// The log file of one component of the running test stack.
    pub fn log_path(&self, component: &str) -> PathBuf {
        self.log_dir().join(format!("{component}.log"))
    }

    /// Waits for a JSON line in `component`'s log that contains every one
    /// of `needles` and satisfies `matches`; `None` after `timeout`.
    pub async fn wait_for_log_line(
        &self,
        component: &str,
        needles: &[&str],
        timeout: Duration,
        matches: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        let path = self.log_path(component);
        eventually(timeout, || async {
            let text = tokio::fs::read_to_string(&path).await.ok()?;
            text.lines()
                .filter(|l| needles.iter().all(|n| l.contains(n)))
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .find(|l| matches(l))
        })
        .await
    }

    /// The PID of a component of the running test stack (`auth-1`).
    pub fn pid(&self, component: &str) -> Option<u32> {
        std::fs::read_to_string(repo_root().join(format!(".state/test/run/{component}.pid")))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// Runs `scripts/stack test <args>` and fails the test if it fails.
    pub async fn script(&self, args: &[&str]) {
        let status = tokio::process::Command::new(repo_root().join("scripts/stack"))
            .arg("test")
            .args(args)
            .status()
            .await
            .expect("scripts/stack runs");
        assert!(status.success(), "scripts/stack test {args:?} failed");
    }

    /// The gateway of the running test stack.
    pub fn gateway_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port("GATEWAY_PORT"))
    }

    pub fn mail_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port("MAIL_WEB_PORT"))
    }

    fn admin_db_url(&self) -> String {
        format!(
            "postgres://{}:{}@127.0.0.1:{}/postgres",
            self.get("PG_USER"),
            self.get("PG_PASSWORD"),
            self.port("PG_PORT")
        )
    }

    pub fn db_url(&self, database: &str) -> String {
        format!(
            "postgres://{}:{}@127.0.0.1:{}/{database}",
            self.get("PG_USER"),
            self.get("PG_PASSWORD"),
            self.port("PG_PORT")
        )
    }

    fn management_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/api/{path}", self.port("RMQ_MGMT_PORT"))
    }

    /// Creates an empty database and returns its name.
    pub async fn create_database(&self, prefix: &str) -> anyhow::Result<String> {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(self.admin_db_url())
            .await
            .context("Cannot reach the test PostgreSQL: start it with `make test-infra`")?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        admin.close().await?;
        Ok(name)
    }

    pub async fn connect(&self, database: &str) -> anyhow::Result<DatabaseConnection> {
        Ok(Database::connect(self.db_url(database)).await?)
    }

    /// Creates a RabbitMQ vhost the test user may use, and returns its name.
    pub async fn create_vhost(&self) -> anyhow::Result<String> {
        let name = format!("test-{}", uuid::Uuid::new_v4().simple());
        let client = reqwest::Client::new();
        let user = self.get("RMQ_USER");
        let password = self.get("RMQ_PASSWORD");
        let created = client
            .put(self.management_url(&format!("vhosts/{name}")))
            .basic_auth(user, Some(password))
            .send()
            .await
            .context("Cannot reach the RabbitMQ management API: start it with `make test-infra`")?;
        if !created.status().is_success() {
            bail!("creating vhost {name}: {}", created.status());
        }
        let granted = client
            .put(self.management_url(&format!("permissions/{name}/{user}")))
            .basic_auth(user, Some(password))
            .json(&serde_json::json!({"configure": ".*", "write": ".*", "read": ".*"}))
            .send()
            .await?;
        if !granted.status().is_success() {
            bail!("granting vhost {name}: {}", granted.status());
        }
        Ok(name)
    }

    /// A queue as the management API reports it (`messages`, `consumers`...).
    pub async fn queue(&self, vhost: &str, queue: &str) -> anyhow::Result<Option<Value>> {
        let response = reqwest::Client::new()
            .get(self.management_url(&format!("queues/{vhost}/{queue}")))
            .basic_auth(self.get("RMQ_USER"), Some(self.get("RMQ_PASSWORD")))
            .send()
            .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Ok(Some(response.error_for_status()?.json().await?))
    }

    /// Puts `envelope` straight into `queue` of `vhost` (through the default
    /// exchange), as if the broker had routed it there: a dead letter, say.
    pub async fn publish_to_queue(
        &self,
        vhost: &str,
        queue: &str,
        envelope: &Value,
    ) -> anyhow::Result<()> {
        self.publish_to_queue_with(vhost, queue, envelope, serde_json::json!({}))
            .await
    }

    /// [`Self::publish_to_queue`] with AMQP `headers` (a JSON object): a
    /// dead letter's reason and attempts, say.
    pub async fn publish_to_queue_with(
        &self,
        vhost: &str,
        queue: &str,
        envelope: &Value,
        headers: Value,
    ) -> anyhow::Result<()> {
        let vhost_path = if vhost == "/" { "%2F" } else { vhost };
        let routed: Value = reqwest::Client::new()
            .post(self.management_url(&format!("exchanges/{vhost_path}/amq.default/publish")))
            .basic_auth(self.get("RMQ_USER"), Some(self.get("RMQ_PASSWORD")))
            .json(&serde_json::json!({
                "routing_key": queue,
                "payload": envelope.to_string(),
                "payload_encoding": "string",
                "properties": {
                    "delivery_mode": 2,
                    "content_type": "application/json",
                    "message_id": envelope["id"],
                    "type": envelope["type"],
                    "headers": headers,
                },
            }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        if routed["routed"] != true {
            bail!("{queue} in {vhost} does not exist");
        }
        Ok(())
    }

    /// Empties `queue` (its ready messages; unacked ones stay with their
    /// consumer).
    pub async fn purge(&self, vhost: &str, queue: &str) -> anyhow::Result<()> {
        let vhost_path = if vhost == "/" { "%2F" } else { vhost };
        reqwest::Client::new()
            .delete(self.management_url(&format!("queues/{vhost_path}/{queue}/contents")))
            .basic_auth(self.get("RMQ_USER"), Some(self.get("RMQ_PASSWORD")))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    /// The envelopes waiting in `queue`, left in place (the management API
    /// takes them and requeues them).
    pub async fn peek(&self, vhost: &str, queue: &str) -> anyhow::Result<Vec<Value>> {
        let vhost_path = if vhost == "/" { "%2F" } else { vhost };
        let messages: Vec<Value> = reqwest::Client::new()
            .post(self.management_url(&format!("queues/{vhost_path}/{queue}/get")))
            .basic_auth(self.get("RMQ_USER"), Some(self.get("RMQ_PASSWORD")))
            .json(&serde_json::json!({"count": 10000, "ackmode": "ack_requeue_true", "encoding": "auto"}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(messages
            .iter()
            .filter_map(|m| m["payload"].as_str())
            .filter_map(|p| serde_json::from_str(p).ok())
            .collect())
    }

    /// Waits until an envelope in `queue` satisfies `matches`, and returns it.
    pub async fn wait_for_message(
        &self,
        vhost: &str,
        queue: &str,
        timeout: Duration,
        matches: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        eventually(timeout, || async {
            self.peek(vhost, queue)
                .await
                .ok()?
                .into_iter()
                .find(|m| matches(m))
        })
        .await
    }

    /// Messages sitting in `queue` (ready + unacked), polled until the
    /// management API's figures settle on `expected` or `timeout` passes.
    pub async fn wait_for_queue_depth(
        &self,
        vhost: &str,
        queue: &str,
        expected: u64,
        timeout: Duration,
    ) -> anyhow::Result<u64> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let depth = self
                .queue(vhost, queue)
                .await?
                .and_then(|q| q["messages"].as_u64())
                .unwrap_or(0);
            if depth == expected || tokio::time::Instant::now() > deadline {
                return Ok(depth);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// The `APP_*` variables that point a service at the test stack with a
/// fresh database, vhost and Redis prefix: pass them to
/// `dayone_web::settings::load_with`.
pub struct TestEnv {
    pub stack: TestStack,
    pub database: String,
    pub vhost: String,
    pub redis_prefix: String,
    pub vars: HashMap<String, String>,
    /// Whether dropping this env removes the vhost (siblings share it).
    owns_vhost: bool,
}

impl Drop for TestEnv {
    /// Removes the test's database and vhost in the background (thousands of
    /// idle per-test queues would make RabbitMQ slow to stop and start).
    /// Fire-and-forget child processes: the test process may exit first.
    fn drop(&mut self) {
        let stack = &self.stack;
        let _ = std::process::Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                stack.get("PG_PORT"),
                "-U",
                stack.get("PG_USER"),
            ])
            .args(["-d", "postgres", "-qAt", "-c"])
            .arg(format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.database
            ))
            .env("PGPASSWORD", stack.get("PG_PASSWORD"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        if self.owns_vhost {
            let _ = std::process::Command::new("curl")
                .args(["-fsS", "-o", "/dev/null", "-X", "DELETE", "-u"])
                .arg(format!(
                    "{}:{}",
                    stack.get("RMQ_USER"),
                    stack.get("RMQ_PASSWORD")
                ))
                .arg(stack.management_url(&format!("vhosts/{}", self.vhost)))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn();
        }
    }
}

impl TestEnv {
    /// A fresh environment for one service under test.
    pub async fn new(service: &str) -> anyhow::Result<Self> {
        let stack = TestStack::load();
        let database = stack.create_database(&format!("test_{service}")).await?;
        let vhost = stack.create_vhost().await?;
        let redis_prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
        let mut env = Self::with(stack, service, database, vhost, redis_prefix);
        env.owns_vhost = true;
        env.declare_system_queues(service).await?;
        Ok(env)
    }

    /// Declares every service's queues (services.toml) in this vhost, as the
    /// services of a running deployment have: the service under test declares
    /// only its own, and what it sends the others needs somewhere to wait.
    async fn declare_system_queues(&self, service: &str) -> anyhow::Result<()> {
        #[derive(serde::Deserialize)]
        struct Common {
            #[serde(flatten)]
            common: dayone_web::CommonSettings,
        }
        impl dayone_web::ServiceSettings for Common {
            const LIST_KEYS: &'static [&'static str] = &[];
            fn common(&self) -> &dayone_web::CommonSettings {
                &self.common
            }
        }
        static QUEUES: std::sync::OnceLock<Vec<dayone_broker::topology::QueueDef>> =
            std::sync::OnceLock::new();
        let queues = QUEUES.get_or_init(|| {
            dayone_model::services::SERVICES
                .iter()
                .flat_map(|s| s.queues.iter().copied())
                .collect()
        });
        let settings: Common =
            dayone_web::settings::load_with(service, &config_dir(), self.vars.clone())?;
        let broker =
            dayone_broker::Broker::start(settings.common.broker, queues, "test-system-queues");
        let connected = broker
            .wait_connected(std::time::Duration::from_secs(10))
            .await;
        broker.close().await;
        connected.context("declaring the system's queues in the test vhost")
    }

    /// Another service of the same deployment: it shares `self`'s vhost (so
    /// they exchange messages) and Redis prefix, and has its own database.
    pub async fn sibling(&self, service: &str) -> anyhow::Result<Self> {
        let database = self
            .stack
            .create_database(&format!("test_{service}"))
            .await?;
        Ok(Self::with(
            self.stack.clone(),
            service,
            database,
            self.vhost.clone(),
            self.redis_prefix.clone(),
        ))
    }

    fn with(
        stack: TestStack,
        service: &str,
        database: String,
        vhost: String,
        redis_prefix: String,
    ) -> Self {
        let pairs = [
            ("APP_ENVIRONMENT", "test".to_owned()),
            ("APP_INSTANCE", format!("{service}-test")),
            ("APP_APPLICATION__PORT", "0".into()),
            ("APP_APPLICATION__METRICS_PORT", "0".into()),
            ("APP_DATABASE__PORT", stack.get("PG_PORT").into()),
            ("APP_DATABASE__USERNAME", stack.get("PG_USER").into()),
            ("APP_DATABASE__PASSWORD", stack.get("PG_PASSWORD").into()),
            ("APP_DATABASE__NAME", database.clone()),
            ("APP_BROKER__PORT", stack.get("AMQP_PORT").into()),
            (
                "APP_BROKER__MANAGEMENT_PORT",
                stack.get("RMQ_MGMT_PORT").into(),
            ),
            ("APP_BROKER__USERNAME", stack.get("RMQ_USER").into()),
            ("APP_BROKER__PASSWORD", stack.get("RMQ_PASSWORD").into()),
            ("APP_BROKER__VHOST", vhost.clone()),
            ("APP_REDIS__PORT", stack.get("REDIS_PORT").into()),
            ("APP_REDIS__PASSWORD", stack.get("REDIS_PASSWORD").into()),
            ("APP_REDIS__KEY_PREFIX", redis_prefix.clone()),
            ("APP_SMTP__PORT", stack.get("SMTP_PORT").into()),
        ];
        let vars = pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        Self {
            stack,
            database,
            vhost,
            redis_prefix,
            vars,
            owns_vhost: false,
        }
    }

    /// Sets (or overrides) one variable.
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.vars.insert(key.to_owned(), value.into());
        self
    }

    pub async fn db(&self) -> anyhow::Result<DatabaseConnection> {
        self.stack.connect(&self.database).await
    }
}

/// A port nothing listens on (bound, then released), for "dependency down".
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(1)
}

/// Checks that `holds` stays true for the whole of `period` (Gomega's
/// `Consistently`): for what must not happen, such as a second send. False
/// at the first check that fails, so a breach is reported at once rather
/// than after a fixed sleep.
pub async fn consistently<F, Fut>(period: Duration, mut holds: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + period;
    loop {
        if !holds().await {
            return false;
        }
        if tokio::time::Instant::now() > deadline {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `check` every 100 ms until it returns `Some` or `timeout` passes.
pub async fn eventually<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if tokio::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The value of query parameter `name` in `url`, decoded (a redirect's
/// `code`, `state` or `error`).
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| {
            percent_encoding::percent_decode_str(&value.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// The service that keeps the accounts: the one the gateway routes
/// `/v1/users` to (services.toml), whatever it is called.
pub fn accounts() -> &'static dayone_model::services::Service {
    dayone_model::services::SERVICES
        .iter()
        .find(|s| s.routes.contains(&"/v1/users"))
        .expect("a service for /v1/users in services.toml")
}
