use actix_web::web;
use anyhow::Context;
use dayone_web::auth::TokenVerifier;
use dayone_web::{RunningService, ServiceInfo, ServiceRuntime};

use crate::keys::SigningKeys;
use crate::profiles::Profiles;
use crate::state::AuthState;
use crate::tasks::AuthTasks;
use crate::{Settings, passwords, routes};

pub const INFO: ServiceInfo = ServiceInfo {
    name: "auth",
    prefix: "/v1/auth",
    version: env!("CARGO_PKG_VERSION"),
};

/// The longest access-token lifetime the issue allows.
const MAX_ACCESS_TOKEN_TTL_SECS: u64 = 15 * 60;

/// The auth service: HTTP API, outbox relay, its scheduled tasks.
pub struct Application;

impl Application {
    /// Connects, binds the listeners and returns the service ready to run
    /// (`port()`, `run_until_stopped()`).
    pub async fn build(settings: Settings) -> anyhow::Result<RunningService> {
        anyhow::ensure!(
            (1..=MAX_ACCESS_TOKEN_TTL_SECS).contains(&settings.auth.access_token_ttl_secs),
            "auth.access_token_ttl_secs must be between 1 and {MAX_ACCESS_TOKEN_TTL_SECS}"
        );
        anyhow::ensure!(
            settings.auth.access_token_ttl_secs <= settings.common.tokens.max_lifetime_secs,
            "auth.access_token_ttl_secs must not exceed tokens.max_lifetime_secs ({}): \
             services would refuse the tokens",
            settings.common.tokens.max_lifetime_secs
        );
        anyhow::ensure!(
            (4..=31).contains(&settings.auth.bcrypt_cost),
            "auth.bcrypt_cost must be between 4 and 31"
        );
        settings.common.throttles.require(crate::limits::ALL)?;
        let link_base_url = crate::notify::link_base(
            &settings.auth.link_base_url,
            &settings.common.application.public_url,
        )?;
        let keys = SigningKeys::from_settings(&settings.auth)?;
        let webauthn = crate::passkeys::relying_party(
            &settings.auth.passkeys,
            &settings.common.application.public_url,
        )?;
        let federation = crate::oauth::Federation::from_settings(
            &settings.auth.oauth,
            &settings.common.application.public_url,
            &link_base_url,
        )?;
        let mut runtime = ServiceRuntime::start::<auth_migration::Migrator>(
            INFO,
            settings.common.clone(),
            crate::consumers::QUEUES,
        )
        .await?;
        // Auth verifies its own tokens with its own keys: no JWKS round trip.
        runtime.set_token_verifier(TokenVerifier::with_keys(
            settings.common.tokens.clone(),
            keys.jwks(),
        ));
        let db = runtime.db().clone();
        runtime.run_tasks(
            crate::consumers::TASKS,
            AuthTasks {
                db,
                retention_days: settings.common.housekeeping.retention_days,
            },
        );
        runtime.start_outbox_relay();
        let dummy_hash = passwords::hash("not anyone's password".into(), settings.auth.bcrypt_cost)
            .await
            .context("Failed to make the timing-equaliser hash")?;
        let hasher = passwords::Hasher::new(
            settings.auth.hashing_workers,
            std::time::Duration::from_millis(settings.auth.hashing_max_wait_ms),
        );
        let profiles = std::sync::Arc::new(Profiles::new(settings.auth.profile_cache_entries));
        runtime.track(tokio::spawn(
            profiles
                .clone()
                .listen(runtime.db().get_postgres_connection_pool().clone()),
        ));
        runtime.track(tokio::spawn(publish_api_keys(
            runtime.db().clone(),
            runtime.redis().clone(),
        )));
        let state = web::Data::new(AuthState {
            webauthn,
            federation,
            profiles,
            throttles: settings.common.throttles.clone(),
            alerter: runtime.alerter().clone(),
            db: runtime.db().clone(),
            redis: runtime.redis().clone(),
            outbox: runtime.outbox.clone(),
            keys,
            settings: settings.auth,
            tokens: settings.common.tokens.clone(),
            link_base_url,
            revocations: runtime.revocations.clone(),
            dummy_hash,
            hasher,
        });
        runtime.serve(move |cfg| {
            cfg.app_data(state.clone()).configure(routes::configure);
        })
    }
}

/// Publishes the live API keys' grants once at start (Redis may have
/// restarted empty), retrying until Redis answers.
async fn publish_api_keys(db: sea_orm::DatabaseConnection, redis: dayone_web::redis::Redis) {
    loop {
        match crate::api_keys::publish_live(&db, &redis).await {
            Ok(count) => {
                tracing::info!(count, "API keys published");
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "API keys could not be published; retrying in 5 s");
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            }
        }
    }
}
