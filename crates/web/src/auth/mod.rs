//! Who is calling: access-token verification shared by every service.
//!
//! Access tokens are EdDSA JWTs signed by the auth service. [`TokenVerifier`]
//! checks them against the public keys from auth's JWKS (cached, fetched
//! again for an unknown `kid` and once the copy is `keys_max_age_secs` old), so no service calls auth per
//! request. [`RevocationList`] is the in-memory set of revoked sessions, kept
//! current by `session.revoked` broadcasts and caught up from Redis on every
//! (re)subscription (only what it missed). [`AuthenticatedUser`] is the extractor handlers take;
//! [`Caller`] is the one for routes that also take [`api_keys`].

pub mod api_keys;
mod extractor;
mod revocation;
mod verifier;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use extractor::{AuthenticatedUser, Caller, KeyCaller};
pub use revocation::{RevocationList, RevocationSubscriber, record_revocations};
pub use verifier::{TokenError, TokenVerifier, ed25519_jwk};

/// Whether a presented secret (a service token, a form's CSRF token) is the
/// expected one, in time that does not depend on where they differ.
pub fn secrets_match(expected: &str, presented: &str) -> bool {
    let (a, b) = (expected.as_bytes(), presented.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The role that may do anything.
pub const ADMIN: &str = "admin";

/// The claims of a Dayone access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's public id.
    pub sub: Uuid,
    /// The session (refresh-token family) the token belongs to.
    pub sid: Uuid,
    pub roles: Vec<String>,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    /// Unique per token.
    pub jti: Uuid,
    /// How the session was signed in (RFC 8176): `pwd`, `sms`, and `otp`
    /// once a second factor was verified.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
}

/// The `amr` value a verified second factor adds.
pub const AMR_MFA: &str = "otp";
/// The `amr` of a passkey sign-in (a key held in hardware).
pub const AMR_PASSKEY: &str = "hwk";

/// Who issues tokens and for whom, and where their keys are published.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenSettings {
    pub issuer: String,
    pub audience: String,
    /// The auth service's JWKS (through the gateway, or auth's service name).
    pub jwks_url: String,
    /// Clock skew tolerated on `exp` and `iat`, in seconds.
    pub leeway_secs: u64,
    /// The longest an access token may be valid (`exp - iat`); a token
    /// claiming more is refused, whoever signed it.
    pub max_lifetime_secs: u64,
    /// Fetched keys are fetched again once they are this old, so a key auth
    /// withdrew from its JWKS is refused within this bound (and a few
    /// seconds) in every service, not only after a restart.
    #[serde(default = "default_keys_max_age")]
    pub keys_max_age_secs: u64,
}

fn default_keys_max_age() -> u64 {
    60
}
