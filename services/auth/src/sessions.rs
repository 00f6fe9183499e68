//! Sessions and their tokens.
//!
//! A login starts a session and hands out an access token (a short-lived JWT
//! naming the session in `sid`) and an opaque refresh token (stored hashed).
//! Refreshing rotates the refresh token; presenting a rotated one again
//! means it was stolen or replayed, and the whole session is revoked.
//! Revocation is recorded in the database, announced with `session.revoked`
//! through the outbox (every instance of every service drops the session's
//! access tokens on receipt), and written to Redis for instances that start
//! later or missed the broadcast.

use chrono::{Duration, Utc};
use dayone_model::BaseEntity;
use dayone_model::Envelope;
use dayone_model::messages::users::SessionRevoked;
use dayone_web::audit::AdminAct;
use dayone_web::auth::{Claims, record_revocations};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entities::{refresh_token, session, user};
use crate::error::AuthError;
use crate::secrets::{random_token, sha256_hex};
use crate::state::AuthState;
use crate::users;

/// The tokens a login or refresh returns.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// Who is logging in from where.
#[derive(Debug, Clone, Default)]
pub struct Device {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

fn access_token(
    state: &AuthState,
    user: &user::Model,
    session: &session::Model,
) -> Result<String, AuthError> {
    let now = Utc::now().timestamp();
    let claims = Claims {
        sub: user.uuid,
        sid: session.uuid,
        roles: user.roles.clone(),
        iss: state.tokens.issuer.clone(),
        aud: state.tokens.audience.clone(),
        iat: now,
        exp: now + state.settings.access_token_ttl_secs as i64,
        jti: Uuid::now_v7(),
        amr: session
            .amr
            .split(',')
            .filter(|m| !m.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    Ok(state.keys.sign(&claims)?)
}

async fn issue_refresh_token<C: ConnectionTrait>(
    txn: &C,
    session: &session::Model,
) -> Result<String, DbErr> {
    let token = random_token();
    refresh_token::ActiveModel {
        session_id: Set(session.id),
        token_hash: Set(sha256_hex(&token)),
        expires_at: Set(session.expires_at),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(token)
}

/// Starts a session for `user`, signed in by `amr` (`pwd`, `sms`, then
/// `otp` for a second factor), and returns its first tokens.
pub async fn start(
    state: &AuthState,
    user: &user::Model,
    device: Device,
    amr: &[&str],
) -> Result<TokenResponse, AuthError> {
    // Checked once the credentials were (so it tells only their owner).
    if user.disabled_at.is_some() {
        return Err(AuthError::Disabled);
    }
    let txn = state.db.begin().await?;
    let session = session::ActiveModel {
        user_id: Set(user.id),
        user_agent: Set(device.user_agent.map(|ua| ua.chars().take(300).collect())),
        ip: Set(device.ip),
        expires_at: Set(Utc::now() + Duration::days(state.settings.session_ttl_days.into())),
        amr: Set(amr.join(",")),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let refresh_token = issue_refresh_token(&txn, &session).await?;
    txn.commit().await?;
    tracing::info!(user_id = %user.uuid, session = %session.uuid, "session started");
    Ok(TokenResponse {
        access_token: access_token(state, user, &session)?,
        refresh_token,
        token_type: "Bearer",
        expires_in: state.settings.access_token_ttl_secs,
    })
}

/// Rotates `presented` into a new refresh token and access token.
pub async fn refresh(state: &AuthState, presented: &str) -> Result<TokenResponse, AuthError> {
    let txn = state.db.begin().await?;
    // Row locks serialise two refreshes racing with the same token: the
    // second sees it used and takes the reuse path.
    let Some(token) = locked_token(&txn, &sha256_hex(presented)).await? else {
        return Err(AuthError::InvalidRefreshToken);
    };
    let session = session::Entity::find_by_id(token.session_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AuthError::InvalidRefreshToken)?;
    let now = Utc::now();
    if session.revoked_at.is_some() || session.expires_at <= now || token.expires_at <= now {
        return Err(AuthError::InvalidRefreshToken);
    }
    let Some(user) = users::find_by_id(&txn, session.user_id).await? else {
        return Err(AuthError::InvalidRefreshToken);
    };
    if token.used_at.is_some() {
        let revoked = revoke(state, &txn, &user, Some(session.id), "refresh token reuse").await?;
        txn.commit().await?;
        after_revoke(state, &revoked).await;
        tracing::warn!(user_id = %user.uuid, session = %session.uuid, "refresh token reused; session revoked");
        return Err(AuthError::RefreshTokenReused);
    }
    let mut used: refresh_token::ActiveModel = token.into();
    used.used_at = Set(Some(now));
    used.update(&txn).await?;
    let mut touched: session::ActiveModel = session.clone().into();
    touched.last_used_at = Set(now);
    let session = touched.update(&txn).await?;
    let refresh_token = issue_refresh_token(&txn, &session).await?;
    txn.commit().await?;
    Ok(TokenResponse {
        access_token: access_token(state, &user, &session)?,
        refresh_token,
        token_type: "Bearer",
        expires_in: state.settings.access_token_ttl_secs,
    })
}

/// The live refresh token with this hash, locked for the transaction.
async fn locked_token<C: ConnectionTrait>(
    txn: &C,
    token_hash: &str,
) -> Result<Option<refresh_token::Model>, DbErr> {
    refresh_token::Entity::active()
        .filter(refresh_token::Column::TokenHash.eq(token_hash))
        .lock_exclusive()
        .one(txn)
        .await
}

/// A revoked session, for [`after_revoke`].
#[derive(Debug, Clone)]
pub struct Revoked {
    pub session: Uuid,
    pub user: Uuid,
    pub until: chrono::DateTime<Utc>,
}

/// Ends `user`'s session `session_id` (every session with `None`) and
/// announces it: [`revoke`] in a transaction of its own, then
/// [`after_revoke`].
pub async fn end(
    state: &AuthState,
    user: &user::Model,
    session_id: Option<i64>,
    reason: &str,
    act: Option<&AdminAct>,
) -> Result<(), DbErr> {
    let txn = state.db.begin().await?;
    let revoked = revoke(state, &txn, user, session_id, reason).await?;
    if let Some(act) = act {
        act.record(&txn, &state.outbox).await?;
    }
    txn.commit().await?;
    after_revoke(state, &revoked).await;
    Ok(())
}

/// Revokes one of `user`'s sessions (`Some(id)`) or all of them, within
/// `txn`, writing a `session.revoked` event per session to the outbox.
pub async fn revoke<C: ConnectionTrait>(
    state: &AuthState,
    txn: &C,
    user: &user::Model,
    session_id: Option<i64>,
    reason: &str,
) -> Result<Vec<Revoked>, DbErr> {
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE sessions SET revoked_at = now(), revoked_reason = $2 \
             WHERE user_id = $1 AND revoked_at IS NULL AND ($3::bigint IS NULL OR id = $3) \
             RETURNING uuid",
            [user.id.into(), reason.into(), session_id.into()],
        ))
        .await?;
    // Until the last access token of the session has expired, plus the
    // verifiers' leeway.
    let until = Utc::now()
        + Duration::seconds(
            (state.settings.access_token_ttl_secs + state.tokens.leeway_secs) as i64 + 1,
        );
    let mut revoked = Vec::with_capacity(rows.len());
    for row in rows {
        let session: Uuid = row.try_get("", "uuid")?;
        let event = Envelope::new(SessionRevoked {
            session_uuid: session,
            user_uuid: user.uuid,
            until,
        });
        state.outbox.enqueue(txn, &event).await?;
        revoked.push(Revoked {
            session,
            user: user.uuid,
            until,
        });
    }
    Ok(revoked)
}

/// After the commit: this instance stops accepting the sessions at once,
/// Redis records them for instances that start later, and the relay is
/// woken to broadcast the events.
pub async fn after_revoke(state: &AuthState, revoked: &[Revoked]) {
    if revoked.is_empty() {
        return;
    }
    state.outbox.wake();
    let pairs: Vec<(Uuid, i64)> = revoked
        .iter()
        .map(|r| (r.session, r.until.timestamp()))
        .collect();
    state.revocations.revoke_many(pairs.iter().copied());
    if let Err(error) = record_revocations(&state.redis, &pairs).await {
        // The broadcast still reaches every running instance.
        tracing::error!(error = %error, sessions = pairs.len(), "could not record the revocations in Redis");
    }
    for r in revoked {
        tracing::info!(user_id = %r.user, session = %r.session, "session revoked");
    }
}

/// A session as `GET /v1/auth/sessions` shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    pub id: Uuid,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: chrono::DateTime<Utc>,
    pub last_used_at: chrono::DateTime<Utc>,
    pub expires_at: chrono::DateTime<Utc>,
    /// The session of the token making this request.
    pub current: bool,
}

pub async fn list(
    state: &AuthState,
    user: &user::Model,
    current: Uuid,
) -> Result<Vec<SessionResponse>, DbErr> {
    let sessions = session::Entity::active()
        .filter(session::Column::UserId.eq(user.id))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(Utc::now()))
        .order_by_desc(session::Column::LastUsedAt)
        .all(&state.db)
        .await?;
    Ok(sessions
        .into_iter()
        .map(|s| SessionResponse {
            current: s.uuid == current,
            id: s.uuid,
            user_agent: s.user_agent,
            ip: s.ip,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            expires_at: s.expires_at,
        })
        .collect())
}

/// The internal id of `user`'s live session with public id `session`.
pub async fn find_own(
    state: &AuthState,
    user: &user::Model,
    session: Uuid,
) -> Result<Option<i64>, DbErr> {
    Ok(session::Entity::active()
        .filter(session::Column::Uuid.eq(session))
        .filter(session::Column::UserId.eq(user.id))
        .filter(session::Column::RevokedAt.is_null())
        .one(&state.db)
        .await?
        .map(|s| s.id))
}
