//! API keys: credentials for services and scripts, granted scopes by an
//! admin. The accounts service owns them (PostgreSQL is the record) and
//! publishes each live key's grant to Redis, where every service looks the
//! presented key up: no service asks the owner per request, and a revoked
//! or rotated key is refused everywhere the moment its grant is withdrawn.
//!
//! A key reads `dk_<key id>_<secret>`. Only the secret's SHA-256 is kept
//! (it carries 256 random bits, so a fast hash is enough), in PostgreSQL
//! and in the grant.

use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::secrets_match;
use crate::redis::Redis;

/// What every key starts with, so a key is told from an access token (and
/// found by secret scanners) at a glance.
pub const KEY_PREFIX: &str = "dk_";

/// What a key may be granted. A route that takes keys names the scope it
/// needs; admins' access tokens pass every scope.
pub mod scopes {
    /// `POST /v1/notifications`.
    pub const NOTIFICATIONS_SEND: &str = "notifications:send";
    /// `GET /v1/users` and `GET /v1/users/{uuid}`.
    pub const USERS_READ: &str = "users:read";
    /// Creating, changing and deleting products.
    pub const PRODUCTS_WRITE: &str = "products:write";

    pub const ALL: &[&str] = &[NOTIFICATIONS_SEND, USERS_READ, PRODUCTS_WRITE];
}

/// A live key as services see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    pub key_uuid: Uuid,
    pub name: String,
    pub scopes: Vec<String>,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
    /// Unix time the key stops working.
    pub expires_at: i64,
}

/// The key a caller presented, split into its id and secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedKey {
    pub key_uuid: Uuid,
    secret: String,
}

impl PresentedKey {
    /// `None` unless `token` has a key's shape.
    pub fn parse(token: &str) -> Option<Self> {
        let rest = token.strip_prefix(KEY_PREFIX)?;
        let (id, secret) = rest.split_once('_')?;
        if id.len() != 32 || secret.is_empty() {
            return None;
        }
        Some(Self {
            key_uuid: Uuid::try_parse(id).ok()?,
            secret: secret.to_owned(),
        })
    }
}

/// The text of a key, shown once, when it is made or rotated.
pub fn format_key(key_uuid: Uuid, secret: &str) -> String {
    format!("{KEY_PREFIX}{}_{secret}", key_uuid.simple())
}

pub fn secret_hash(secret: &str) -> String {
    crate::sha256_hex(secret.as_bytes())
}

fn redis_key(redis: &Redis, key_uuid: Uuid) -> String {
    redis.key(&format!("api-key:{}", key_uuid.simple()))
}

/// Makes `grant` usable everywhere until it expires (Redis drops it then).
pub async fn publish(redis: &Redis, grant: &Grant) -> redis::RedisResult<()> {
    let value = serde_json::to_string(grant)
        .map_err(|e| redis::RedisError::from((redis::ErrorKind::Client, "grant", e.to_string())))?;
    let expires = u64::try_from(grant.expires_at).unwrap_or(0);
    let mut conn = redis.connection();
    let () = redis::cmd("SET")
        .arg(redis_key(redis, grant.key_uuid))
        .arg(value)
        .arg("EXAT")
        .arg(expires.max(1))
        .query_async(&mut conn)
        .await?;
    Ok(())
}

/// Makes the key unusable everywhere at once.
pub async fn withdraw(redis: &Redis, key_uuid: Uuid) -> redis::RedisResult<()> {
    let mut conn = redis.connection();
    let _: i64 = conn.del(redis_key(redis, key_uuid)).await?;
    Ok(())
}

/// Why a presented key is not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("the API key is not valid (unknown, revoked, rotated or expired)")]
    Invalid,
    #[error("API keys cannot be checked right now")]
    Unavailable,
}

/// The grant of `presented` when its secret matches and it has not expired.
pub async fn check(redis: &Redis, presented: &PresentedKey) -> Result<Grant, KeyError> {
    let mut conn = redis.connection();
    let stored: Option<String> = conn
        .get(redis_key(redis, presented.key_uuid))
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "API key lookup failed");
            KeyError::Unavailable
        })?;
    let grant: Grant = stored
        .and_then(|s| serde_json::from_str(&s).ok())
        .ok_or(KeyError::Invalid)?;
    let now = chrono::Utc::now().timestamp();
    if !secrets_match(&grant.secret_hash, &secret_hash(&presented.secret))
        || grant.expires_at <= now
    {
        return Err(KeyError::Invalid);
    }
    Ok(grant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_formatted_key_parses_back_and_other_shapes_do_not() {
        let id = Uuid::new_v4();
        let key = format_key(id, "s3cr_et-x");
        let parsed = PresentedKey::parse(&key).unwrap();
        assert_eq!(parsed.key_uuid, id);
        assert_eq!(parsed.secret, "s3cr_et-x", "the secret may hold `_`");
        for not_a_key in [
            "eyJhbGciOi.x.y",
            "dk_",
            "dk_abc_secret",
            &format!("dk_{}_", id.simple()),
            &format!("dk_{}", id.simple()),
        ] {
            assert_eq!(PresentedKey::parse(not_a_key), None, "{not_a_key}");
        }
    }

    #[test]
    fn the_hash_is_sha256_hex() {
        assert_eq!(
            secret_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
