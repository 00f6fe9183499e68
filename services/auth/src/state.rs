//! What every auth handler shares.

use dayone_broker::Outbox;
use dayone_web::auth::{RevocationList, TokenSettings};
use dayone_web::redis::Redis;
use sea_orm::DatabaseConnection;

use crate::keys::SigningKeys;
use crate::settings::AuthSettings;

pub struct AuthState {
    pub db: DatabaseConnection,
    pub redis: Redis,
    pub outbox: Outbox,
    pub keys: SigningKeys,
    pub settings: AuthSettings,
    pub tokens: TokenSettings,
    /// The base of emailed links (`auth.link_base_url`, else the gateway's
    /// public URL), checked at start; see [`crate::notify::link_base`].
    pub link_base_url: String,
    pub revocations: RevocationList,
    /// A bcrypt hash at the configured cost, verified against when the email
    /// is unknown, so both failures take the same time.
    pub dummy_hash: String,
    /// bcrypt for requests: bounded, in order, refusing what would wait
    /// too long.
    pub hasher: crate::passwords::Hasher,
    /// Request limits by name (`throttles:` in settings; see [`crate::limits`]).
    pub throttles: dayone_web::throttle::Throttles,
    /// Where a spent SMS budget is announced.
    pub alerter: dayone_web::alerts::Alerter,
    /// The WebAuthn relying party (`auth.passkeys`).
    pub webauthn: webauthn_rs::prelude::Webauthn,
    /// The sign-in providers (`auth.oauth`).
    pub federation: crate::oauth::Federation,
    /// Accounts in memory for `GET /v1/auth/me`.
    pub profiles: std::sync::Arc<crate::profiles::Profiles>,
}
