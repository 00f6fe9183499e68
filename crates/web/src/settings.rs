//! Typed settings, layered (later wins):
//!
//! 1. `config/base.yaml` — defaults for every service;
//! 2. the service's own file — its ports, database, options: `<service>.yaml`
//!    in the config directory (how images carry it), else
//!    `services/<service>/config.yaml` beside the config directory (the
//!    repository: a service's settings live in its folder);
//! 3. `config/<environment>.yaml` — `local`, `test` or `production`
//!    (`APP_ENVIRONMENT`, default `local`);
//! 4. environment variables: `APP_DATABASE__PORT=5433` sets `database.port`;
//! 5. secret files: `APP_DATABASE__PASSWORD_FILE=/run/secrets/db` sets
//!    `database.password` to the file's content (Docker/Kubernetes secrets).
//!
//! Secrets are `SecretString` from the moment they are read. In `production`
//! a service refuses to start while a secret is empty or still carries the
//! development default (anything starting with [`DEV_SECRET_PREFIX`]), and
//! the error names the key and the variables that set it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use config::{Config, Environment as EnvSource, File, FileFormat};
use dayone_broker::BrokerSettings;
use dayone_telemetry::LogFormat;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Development secrets in `config/base.yaml` start with this; production
/// refuses them.
pub const DEV_SECRET_PREFIX: &str = "dev-insecure-";

/// A secret without its development marker: `dev-insecure-VALUE` becomes
/// `VALUE`, and a multi-line secret (a PEM, a JSON key file) whose first
/// line is the marker loses that line. Anything else is returned as is.
pub fn strip_dev_marker(secret: &str) -> &str {
    let Some(rest) = secret.strip_prefix(DEV_SECRET_PREFIX) else {
        return secret;
    };
    match rest.split_once('\n') {
        Some((_, value)) if secret.trim_end().contains('\n') => value,
        _ => rest,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Local,
    Test,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Test => "test",
            Self::Production => "production",
        }
    }

    fn parse(s: &str) -> Result<Self, SettingsError> {
        match s.to_ascii_lowercase().as_str() {
            "local" => Ok(Self::Local),
            "test" => Ok(Self::Test),
            "production" => Ok(Self::Production),
            other => Err(SettingsError::UnknownEnvironment(other.to_owned())),
        }
    }
}

/// What every service's settings contain.
#[derive(Debug, Clone, Deserialize)]
pub struct CommonSettings {
    pub environment: Environment,
    pub application: ApplicationSettings,
    pub database: DatabaseSettings,
    pub broker: BrokerSettings,
    pub redis: RedisSettings,
    pub log: LogSettings,
    pub tokens: crate::auth::TokenSettings,
    pub alerts: crate::alerts::AlertSettings,
    pub housekeeping: HousekeepingSettings,
    pub telemetry: TelemetrySettings,
    pub sentry: SentrySettings,
    /// Named request limits (`dayone_web::throttle::Throttles`).
    #[serde(default)]
    pub throttles: crate::throttle::Throttles,
    /// This replica's name (`APP_INSTANCE`, e.g. `auth-1`), if it has one:
    /// in logs, spans, error reports, `/health`, run histories, the broker
    /// connection's name and `X-Served-By`. The one place it is read.
    #[serde(default)]
    pub instance: Option<String>,
}

impl CommonSettings {
    /// [`Self::instance`], else `<service>-<pid>`: a name for this process
    /// where one is always needed (run histories, the broker connection).
    pub fn instance_name(&self, service: &str) -> String {
        self.instance
            .clone()
            .unwrap_or_else(|| format!("{service}-{}", std::process::id()))
    }
}

/// Trace export and request/response logging.
#[derive(Debug, Clone, Deserialize)]
pub struct TelemetrySettings {
    /// OTLP/HTTP base URL of a collector (`http://otel-collector:4318`);
    /// empty: spans are not exported.
    pub otlp_endpoint: String,
    /// The share of traces started here (no incoming `traceparent`) that are
    /// exported, 0..=1; a trace that arrives keeps its caller's decision.
    pub trace_sample_ratio: f64,
    /// At debug level, JSON request and response bodies up to this size are
    /// logged, redacted.
    pub log_body_limit_bytes: usize,
}

/// Error reporting to Sentry (or a Sentry-compatible ingest such as
/// GlitchTip).
#[derive(Debug, Clone, Deserialize)]
pub struct SentrySettings {
    /// Empty: nothing is sent (errors are still logged and alerted).
    pub dsn: SecretString,
    /// Defaults to the crate version.
    #[serde(default)]
    pub release: Option<String>,
}

/// What the nightly cleanup tasks keep.
#[derive(Debug, Clone, Deserialize)]
pub struct HousekeepingSettings {
    /// Expired tokens, published outbox rows, idempotency claims and
    /// finished notifications older than this many days are deleted.
    pub retention_days: i32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ApplicationSettings {
    pub host: String,
    /// 0 picks a free port (tests).
    pub port: u16,
    /// Internal Prometheus port; never routed by the gateway. 0 picks one.
    pub metrics_port: u16,
    /// Where clients reach the gateway (links in emails, OpenAPI servers).
    pub public_url: String,
    /// How long in-flight requests and messages get to finish on SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// HTTP worker threads; defaults to the number of cores.
    pub workers: Option<usize>,
    /// Peers (the gateway) whose `X-Real-IP` header is believed: addresses
    /// or CIDR networks.
    pub trusted_proxies: Vec<crate::client::ProxyNet>,
    /// Name the answering instance (`APP_INSTANCE`) in an `X-Served-By`
    /// header: handy behind a load balancer in development; production
    /// does not tell the internet its topology (the gateway's access log
    /// records the upstream).
    pub expose_instance: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: SecretString,
    pub name: String,
    pub max_connections: u32,
    pub min_connections: u32,
    pub require_ssl: bool,
    /// How long a request waits for a connection (fractions allowed) before
    /// it is answered 503 with `Retry-After`; also the connect timeout.
    pub acquire_timeout_secs: f64,
    /// Run the service's migrations when it starts (handy locally; in
    /// production run `<service> migrate` as a separate step).
    pub migrate_on_start: bool,
}

impl DatabaseSettings {
    /// The connection URL for `database` (the service's own by default).
    pub fn url_for(&self, database: &str) -> String {
        let sslmode = if self.require_ssl {
            "require"
        } else {
            "prefer"
        };
        format!(
            "postgres://{}:{}@{}:{}/{}?sslmode={sslmode}",
            urlencode(&self.username),
            urlencode(self.password.expose_secret()),
            self.host,
            self.port,
            database
        )
    }

    pub fn url(&self) -> String {
        self.url_for(&self.name)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct RedisSettings {
    pub host: String,
    pub port: u16,
    pub password: SecretString,
    #[serde(default)]
    pub db: u8,
    /// Every key this deployment writes starts with it.
    pub key_prefix: String,
    #[serde(default)]
    pub tls: bool,
}

impl RedisSettings {
    pub fn url(&self) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        let password = self.password.expose_secret();
        let auth = if password.is_empty() {
            String::new()
        } else {
            format!(":{}@", urlencode(password))
        };
        format!("{scheme}://{auth}{}:{}/{}", self.host, self.port, self.db)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
    /// An `EnvFilter` directive; `RUST_LOG` overrides it.
    pub filter: String,
}

/// A service's settings type: its common part and its own secrets.
pub trait ServiceSettings: DeserializeOwned {
    /// Keys whose environment value is a comma-separated list.
    const LIST_KEYS: &'static [&'static str] = &[];

    fn common(&self) -> &CommonSettings;
    /// The service's own secrets, by key (`auth.jwt_private_key`).
    fn secrets(&self) -> Vec<(&'static str, &SecretString)> {
        Vec::new()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(
        "no config directory: set APP_CONFIG_DIR or run from the repository (looked for config/base.yaml above {0})"
    )]
    NoConfigDir(PathBuf),
    #[error("APP_ENVIRONMENT must be local, test or production, not `{0}`")]
    UnknownEnvironment(String),
    #[error("could not read the secret file {path} (from {var})")]
    SecretFile {
        var: String,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "secret `{key}` is missing or still has its development default; \
         set {env_var} or {env_var}_FILE"
    )]
    InsecureSecret { key: String, env_var: String },
    #[error("invalid configuration")]
    Config(#[from] config::ConfigError),
}

/// Loads the settings of `service` from the layers described above.
pub fn load<S: ServiceSettings>(service: &str) -> Result<S, SettingsError> {
    load_with(service, &config_dir()?, std::env::vars().collect())
}

/// [`load`] with an explicit config directory and environment, for tests.
pub fn load_with<S: ServiceSettings>(
    service: &str,
    dir: &Path,
    vars: HashMap<String, String>,
) -> Result<S, SettingsError> {
    let environment =
        Environment::parse(vars.get("APP_ENVIRONMENT").map_or("local", String::as_str))?;
    let mut env_source = EnvSource::with_prefix("APP")
        .prefix_separator("_")
        .separator("__")
        .try_parsing(true)
        .list_separator(",")
        .with_list_parse_key("broker.retry_delays_ms")
        .with_list_parse_key("application.trusted_proxies")
        .source(Some(vars.clone().into_iter().collect()));
    for key in S::LIST_KEYS {
        env_source = env_source.with_list_parse_key(key);
    }
    let mut builder = Config::builder()
        .add_source(File::from(dir.join("base.yaml")).format(FileFormat::Yaml))
        .add_source(
            File::from(service_file(dir, service))
                .format(FileFormat::Yaml)
                .required(false),
        )
        .add_source(
            File::from(dir.join(format!("{}.yaml", environment.as_str())))
                .format(FileFormat::Yaml)
                .required(false),
        )
        .add_source(env_source)
        .set_override("environment", environment.as_str())?;
    for (key, value) in secret_files(&vars)? {
        builder = builder.set_override(key, value)?;
    }
    let settings: S = builder.build()?.try_deserialize()?;
    check_secrets(&settings)?;
    Ok(settings)
}

/// `APP_X__Y_FILE=/path` -> (`x.y`, content of /path without the final newline).
fn secret_files(vars: &HashMap<String, String>) -> Result<Vec<(String, String)>, SettingsError> {
    let mut out = Vec::new();
    for (var, path) in vars {
        let Some(key) = var
            .strip_prefix("APP_")
            .and_then(|rest| rest.strip_suffix("_FILE"))
        else {
            continue;
        };
        let content =
            std::fs::read_to_string(path).map_err(|source| SettingsError::SecretFile {
                var: var.clone(),
                path: path.clone(),
                source,
            })?;
        let content = content.strip_suffix('\n').unwrap_or(&content);
        let content = content.strip_suffix('\r').unwrap_or(content);
        out.push((
            key.to_ascii_lowercase().replace("__", "."),
            content.to_owned(),
        ));
    }
    Ok(out)
}

fn check_secrets<S: ServiceSettings>(settings: &S) -> Result<(), SettingsError> {
    let common = settings.common();
    if common.environment != Environment::Production {
        return Ok(());
    }
    let mut secrets = vec![
        ("database.password", &common.database.password),
        ("broker.password", &common.broker.password),
        ("redis.password", &common.redis.password),
    ];
    secrets.extend(settings.secrets());
    for (key, secret) in secrets {
        let value = secret.expose_secret();
        if value.trim().is_empty() || value.starts_with(DEV_SECRET_PREFIX) {
            return Err(SettingsError::InsecureSecret {
                key: key.to_owned(),
                env_var: format!("APP_{}", key.to_ascii_uppercase().replace('.', "__")),
            });
        }
    }
    Ok(())
}

/// The service's own settings file: `<dir>/<service>.yaml` when there is one
/// (an image), else `services/<service>/config.yaml` of the repository that
/// holds `dir`.
fn service_file(dir: &Path, service: &str) -> PathBuf {
    let in_dir = dir.join(format!("{service}.yaml"));
    if in_dir.is_file() {
        return in_dir;
    }
    dir.parent()
        .unwrap_or(dir)
        .join("services")
        .join(service)
        .join("config.yaml")
}

/// `APP_CONFIG_DIR`, or the nearest `config/` holding `base.yaml` above the
/// working directory (so `cargo run` and tests work from any crate).
fn config_dir() -> Result<PathBuf, SettingsError> {
    if let Ok(dir) = std::env::var("APP_CONFIG_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let start = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut dir: Option<&Path> = Some(&start);
    while let Some(d) = dir {
        let candidate = d.join("config");
        if candidate.join("base.yaml").is_file() {
            return Ok(candidate);
        }
        dir = d.parent();
    }
    Err(SettingsError::NoConfigDir(start))
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
