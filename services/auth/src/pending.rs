//! Short-lived state handed out as a random token (an MFA challenge, a
//! provider sign-in's state and result, a passkey ceremony): kept in Redis
//! for a while under the token's SHA-256, so a copy of Redis holds no
//! token anyone could present.

use redis::AsyncCommands;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::AuthError;
use crate::secrets::sha256_hex;
use crate::state::AuthState;

/// The Redis key of `kind`'s state for `token`.
pub fn key(state: &AuthState, kind: &str, token: &str) -> String {
    state.redis.key(&format!("{kind}:{}", sha256_hex(token)))
}

/// Keeps `value` for `token` for `ttl_secs`.
pub async fn keep<T: Serialize>(
    state: &AuthState,
    kind: &str,
    token: &str,
    value: &T,
    ttl_secs: u64,
) -> Result<(), AuthError> {
    let text = serde_json::to_string(value).map_err(|e| AuthError::Unexpected(e.into()))?;
    let mut conn = state.redis.connection();
    let () = conn.set_ex(key(state, kind, token), text, ttl_secs).await?;
    Ok(())
}

/// What is kept for `token`, left in place.
pub async fn peek<T: DeserializeOwned>(
    state: &AuthState,
    kind: &str,
    token: &str,
) -> Result<Option<T>, AuthError> {
    let mut conn = state.redis.connection();
    let kept: Option<String> = conn.get(key(state, kind, token)).await?;
    Ok(kept.and_then(|k| serde_json::from_str(&k).ok()))
}

/// What is kept for `token`, removed in the same step (`GETDEL`): of two
/// requests presenting it, one gets it.
pub async fn take<T: DeserializeOwned>(
    state: &AuthState,
    kind: &str,
    token: &str,
) -> Result<Option<T>, AuthError> {
    let mut conn = state.redis.connection();
    let kept: Option<String> = redis::cmd("GETDEL")
        .arg(key(state, kind, token))
        .query_async(&mut conn)
        .await?;
    Ok(kept.and_then(|k| serde_json::from_str(&k).ok()))
}
