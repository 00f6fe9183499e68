//! `Idempotency-Key` on a POST that creates something: the first answer to a
//! key is stored with a hash of the request and given again, with
//! `Idempotent-Replayed: true`, to every retry with the same key and body;
//! the same key with another body is refused (422 `idempotency_key_reused`).
//!
//! The key is claimed inside the transaction that carries the effect, and
//! the answer stored in it too, so the effect and the key commit together.
//! A concurrent request with the same key waits on the unique index until
//! the first one's transaction ends, then gets its answer. Each service that
//! offers keys has an `idempotency_keys` table (owner, key, request_hash,
//! status, response), unique on (owner, key).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use serde_json::Value;
use uuid::Uuid;

use crate::{ApiError, ErrorCode};

/// What [`key`] accepts, for the OpenAPI documents: 1 to 255 characters of
/// printable ASCII (spaces too), not only spaces.
pub const KEY_PATTERN: &str = "^[\\x20-\\x7E]*[\\x21-\\x7E][\\x20-\\x7E]*$";
pub const KEY_MAX_LENGTH: usize = 255;

/// The key the client sent, if any (surrounding spaces dropped).
pub fn key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let raw = value.as_bytes();
    let printable = raw.iter().all(|b| (0x20..0x7f).contains(b));
    let key = String::from_utf8_lossy(raw);
    let key = key.trim_matches(' ');
    if printable && !key.is_empty() && raw.len() <= KEY_MAX_LENGTH {
        Ok(Some(key.to_owned()))
    } else {
        Err(ApiError::validation(&[(
            "Idempotency-Key",
            "must be 1 to 255 printable ASCII characters, not only spaces".into(),
        )]))
    }
}

/// The hex SHA-256 of a request's canonical form.
pub fn request_hash(canonical: &[u8]) -> String {
    crate::sha256_hex(canonical)
}

/// The stored first answer to a key.
#[derive(Debug, Clone)]
pub struct Replay {
    pub status: u16,
    pub body: Value,
}

impl Replay {
    pub fn response(self) -> HttpResponse {
        HttpResponse::build(StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK))
            .insert_header(("Idempotent-Replayed", "true"))
            .json(self.body)
    }
}

/// The key was used before for a different request.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("this Idempotency-Key was used for a different request")]
pub struct KeyReused;

impl From<KeyReused> for ApiError {
    fn from(e: KeyReused) -> Self {
        ApiError::new(ErrorCode::IdempotencyKeyReused, e.to_string())
    }
}

/// Claims `key` of `owner` for the request hashed as `hash`, within `txn`:
/// `Ok(None)` for a first use (store the answer with [`store`] before the
/// commit), `Ok(Some(replay))` for a repeat, `Err(KeyReused)` for a key
/// used for another request.
pub async fn claim<C: ConnectionTrait>(
    txn: &C,
    owner: Uuid,
    key: &str,
    hash: &str,
) -> Result<Result<Option<Replay>, KeyReused>, DbErr> {
    let inserted = txn
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO idempotency_keys (user_uuid, key, request_hash, status, response) \
             VALUES ($1, $2, $3, 0, '{}'::jsonb) ON CONFLICT DO NOTHING",
            [owner.into(), key.into(), hash.into()],
        ))
        .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Ok(None));
    }
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT request_hash, status, response FROM idempotency_keys WHERE user_uuid = $1 AND key = $2",
            [owner.into(), key.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("idempotency key".into()))?;
    let stored_hash: String = row.try_get("", "request_hash")?;
    if stored_hash != hash {
        return Ok(Err(KeyReused));
    }
    Ok(Ok(Some(Replay {
        status: u16::try_from(row.try_get::<i32>("", "status")?).unwrap_or(200),
        body: row.try_get("", "response")?,
    })))
}

/// Stores the answer to a key claimed with [`claim`] in the same `txn`.
pub async fn store<C: ConnectionTrait>(
    txn: &C,
    owner: Uuid,
    key: &str,
    status: StatusCode,
    body: &Value,
) -> Result<(), DbErr> {
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE idempotency_keys SET status = $3, response = $4 WHERE user_uuid = $1 AND key = $2",
        [
            owner.into(),
            key.into(),
            i32::from(status.as_u16()).into(),
            body.clone().into(),
        ],
    ))
    .await?;
    Ok(())
}
