use std::collections::HashMap;

use dayone_test_support::config_dir;
use dayone_web::settings::{SettingsError, load_with};
use secrecy::ExposeSecret;

use crate::helpers::Settings;

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn load(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    load_with("auth", &config_dir(), vars(pairs))
}

#[test]
fn files_are_layered_base_then_service_then_environment() {
    let settings = load(&[("APP_ENVIRONMENT", "test")]).unwrap();
    assert_eq!(settings.common.application.port, 8101, "from auth.yaml");
    assert_eq!(
        settings.common.database.name, "dayone_auth",
        "from auth.yaml"
    );
    assert_eq!(
        settings.common.broker.retry_delays_ms,
        [200, 400],
        "from test.yaml"
    );
    assert_eq!(
        settings.common.redis.key_prefix, "dayone:",
        "from base.yaml"
    );
}

#[test]
fn environment_variables_override_files() {
    let settings = load(&[
        ("APP_ENVIRONMENT", "test"),
        ("APP_DATABASE__PORT", "6543"),
        ("APP_BROKER__RETRY_DELAYS_MS", "10,20,30"),
        ("APP_LOG__FORMAT", "pretty"),
    ])
    .unwrap();
    assert_eq!(settings.common.database.port, 6543);
    assert_eq!(settings.common.broker.retry_delays_ms, [10, 20, 30]);
    assert_eq!(
        settings.common.log.format,
        dayone_telemetry::LogFormat::Pretty
    );
}

#[test]
fn trusted_proxies_take_addresses_and_networks_and_refuse_anything_else() {
    let settings = load(&[(
        "APP_APPLICATION__TRUSTED_PROXIES",
        "10.244.0.0/16,127.0.0.1,fd00::/8",
    )])
    .unwrap();
    let proxies: Vec<String> = settings
        .common
        .application
        .trusted_proxies
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(proxies, ["10.244.0.0/16", "127.0.0.1/32", "fd00::/8"]);

    let err = load(&[("APP_APPLICATION__TRUSTED_PROXIES", "10.0.0.0/8,the-gateway")]).unwrap_err();
    // What `main` prints: the error and its causes.
    let err = format!("{:#}", anyhow::Error::from(err));
    assert!(
        err.contains("`the-gateway` is neither an IP address nor a network"),
        "{err}"
    );
}

#[test]
fn a_secret_file_overrides_the_variable_and_loses_its_newline() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("db_password");
    std::fs::write(&file, "from-the-file\n").unwrap();
    let settings = load(&[
        ("APP_DATABASE__PASSWORD", "from-the-env"),
        ("APP_DATABASE__PASSWORD_FILE", file.to_str().unwrap()),
    ])
    .unwrap();
    assert_eq!(
        settings.common.database.password.expose_secret(),
        "from-the-file"
    );
}

#[test]
fn an_unreadable_secret_file_is_an_error_naming_the_variable() {
    let error = load(&[("APP_REDIS__PASSWORD_FILE", "/nonexistent/redis")])
        .err()
        .unwrap();
    let message = error.to_string();
    assert!(message.contains("APP_REDIS__PASSWORD_FILE"), "{message}");
    assert!(message.contains("/nonexistent/redis"), "{message}");
}

#[test]
fn production_refuses_development_secrets_and_names_the_key() {
    let error = load(&[("APP_ENVIRONMENT", "production")]).err().unwrap();
    assert_eq!(
        error.to_string(),
        "secret `database.password` is missing or still has its development default; \
         set APP_DATABASE__PASSWORD or APP_DATABASE__PASSWORD_FILE"
    );

    let error = load(&[
        ("APP_ENVIRONMENT", "production"),
        ("APP_DATABASE__PASSWORD", "s3cret-db"),
        ("APP_BROKER__PASSWORD", ""),
    ])
    .err()
    .unwrap();
    assert!(
        error.to_string().starts_with("secret `broker.password`"),
        "{error}"
    );
}

#[test]
fn production_starts_with_real_secrets_and_never_prints_them() {
    let settings = load(&[
        ("APP_ENVIRONMENT", "production"),
        ("APP_DATABASE__PASSWORD", "s3cret-db"),
        ("APP_BROKER__PASSWORD", "s3cret-mq"),
        ("APP_REDIS__PASSWORD", "s3cret-redis"),
    ])
    .unwrap();
    assert_eq!(
        settings.common.environment,
        dayone_web::Environment::Production
    );
    assert!(settings.common.database.require_ssl, "from production.yaml");
    let printed = format!("{settings:?}");
    for secret in ["s3cret-db", "s3cret-mq", "s3cret-redis"] {
        assert!(!printed.contains(secret), "{secret} leaked into Debug");
    }
}

#[test]
fn an_unknown_environment_is_refused() {
    let error = load(&[("APP_ENVIRONMENT", "staging")]).err().unwrap();
    assert!(error.to_string().contains("staging"));
}
