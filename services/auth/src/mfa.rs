//! The TOTP second factor (RFC 6238: SHA-1, six digits, 30 s steps, one
//! step of skew) and its recovery codes.
//!
//! - Enrolling makes a secret, shown once as an `otpauth://` URI and a QR
//!   code; it is asked for at sign-in only once a code confirmed it.
//! - Sign-in of an enrolled account ends in a challenge, not tokens: a
//!   random token in Redis for five minutes, good for five tries, traded
//!   for tokens with a code or a recovery code.
//! - A code is accepted only for a time step later than the last accepted
//!   one (one conditional UPDATE, so two requests racing with the same
//!   code cannot both win); a recovery code only while unused.
//! - Wrong codes count against the account like wrong passwords
//!   (`auth.login` limits).

use chrono::Utc;
use dayone_model::BaseEntity;
use dayone_web::throttle::{self, Limit};
use qrcode::QrCode;
use qrcode::render::svg;
use rand::RngCore;
use redis::AsyncCommands;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, Set, Statement, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use totp_rs::{Algorithm, Builder, Secret, Totp};
use utoipa::ToSchema;

use crate::entities::{recovery_code, totp_factor, user};
use crate::error::AuthError;
use crate::pending;
use crate::secrets::{random_token, sha256_hex};
use crate::sessions::{self, Device, TokenResponse};
use crate::state::AuthState;

/// The issuer authenticator apps show next to the account.
const ISSUER: &str = "Dayone";
const CHALLENGE_TTL_SECS: u64 = 300;
const CHALLENGE_TRIES: u64 = 5;
const RECOVERY_CODES: usize = 10;

fn totp(secret: &str, account: &str) -> Result<Totp, AuthError> {
    let bytes = Secret::try_from_base32(secret)
        .map_err(|e| AuthError::Unexpected(anyhow::anyhow!("a stored TOTP secret: {e:?}")))?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(bytes)
        .with_issuer(Some(ISSUER))
        .with_account_name(account)
        .build()
        .map_err(|e| AuthError::Unexpected(anyhow::anyhow!("building a TOTP: {e:?}")))
}

/// 160 random bits (RFC 4226's recommendation), base32.
fn random_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    Secret::new(Box::new(bytes)).to_base32()
}

/// What an authenticator app needs, shown once when enrolling.
#[derive(Debug, Serialize, ToSchema)]
pub struct Enrollment {
    /// The secret, base32, for typing in by hand.
    pub secret: String,
    /// `otpauth://totp/Dayone:<email>?secret=...&issuer=Dayone`.
    pub otpauth_uri: String,
    /// The URI as a QR code, an SVG document.
    pub qr_svg: String,
}

/// The account's confirmed factor, if any.
pub async fn confirmed<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
) -> Result<Option<totp_factor::Model>, AuthError> {
    Ok(totp_factor::Entity::active()
        .filter(totp_factor::Column::UserId.eq(user_id))
        .filter(totp_factor::Column::ConfirmedAt.is_not_null())
        .one(db)
        .await?)
}

/// A new secret for `user` (replacing an unconfirmed one).
pub async fn enroll(state: &AuthState, user: &user::Model) -> Result<Enrollment, AuthError> {
    if confirmed(&state.db, user.id).await?.is_some() {
        return Err(AuthError::Conflict(
            "a second factor is already on; turn it off first",
        ));
    }
    let secret = random_secret();
    let txn = state.db.begin().await?;
    totp_factor::Entity::delete_many()
        .filter(totp_factor::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
    totp_factor::ActiveModel {
        user_id: Set(user.id),
        secret: Set(secret.clone()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    let otpauth_uri = totp(&secret, &user.email)?
        .to_url()
        .map_err(|e| AuthError::Unexpected(anyhow::anyhow!("otpauth URI: {e:?}")))?;
    let qr_svg = QrCode::new(otpauth_uri.as_bytes())
        .map_err(|e| AuthError::Unexpected(anyhow::anyhow!("QR code: {e}")))?
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(Enrollment {
        secret,
        otpauth_uri,
        qr_svg,
    })
}

/// The step `code` is valid for, or a counted failure.
async fn step_of(
    state: &AuthState,
    user: &user::Model,
    factor: &totp_factor::Model,
    code: &str,
) -> Result<u64, AuthError> {
    let now = u64::try_from(Utc::now().timestamp()).unwrap_or(0);
    match totp(&factor.secret, &user.email)?.check(code.trim(), now) {
        Some(step) => Ok(step),
        None => Err(failed(state, user).await),
    }
}

fn failures_key(user: &user::Model) -> String {
    format!("mfa-failures:{}", user.uuid)
}

fn failure_limit(state: &AuthState) -> Limit {
    Limit {
        max: state.settings.login.max_failures_per_account,
        window: std::time::Duration::from_secs(state.settings.login.window_secs),
    }
}

/// Counts a wrong code against the account.
async fn failed(state: &AuthState, user: &user::Model) -> AuthError {
    match throttle::hit(&state.redis, &failures_key(user), failure_limit(state)).await {
        Ok(_) => AuthError::InvalidCode,
        Err(e) => e.into(),
    }
}

/// 429 while the account has had too many wrong codes.
async fn not_throttled(state: &AuthState, user: &user::Model) -> Result<(), AuthError> {
    let usage = throttle::usage(&state.redis, &failures_key(user)).await?;
    if usage.reached(failure_limit(state)) {
        return Err(AuthError::Throttled {
            usage,
            message: "too many wrong codes; try again later",
        });
    }
    Ok(())
}

/// Accepts `code` once: only for a step after the last one accepted.
async fn use_code<C: ConnectionTrait>(
    db: &C,
    state: &AuthState,
    user: &user::Model,
    code: &str,
    pending: bool,
) -> Result<(), AuthError> {
    not_throttled(state, user).await?;
    let factor = totp_factor::Entity::active()
        .filter(totp_factor::Column::UserId.eq(user.id))
        .filter(if pending {
            totp_factor::Column::ConfirmedAt.is_null()
        } else {
            totp_factor::Column::ConfirmedAt.is_not_null()
        })
        .one(db)
        .await?
        .ok_or(AuthError::NotFound(if pending {
            "TOTP enrollment"
        } else {
            "second factor"
        }))?;
    let step = step_of(state, user, &factor, code).await?;
    let taken = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE totp_factors SET last_step = $2, \
             confirmed_at = coalesce(confirmed_at, now()) \
             WHERE id = $1 AND (last_step IS NULL OR last_step < $2)",
            [factor.id.into(), (step as i64).into()],
        ))
        .await?
        .rows_affected();
    if taken == 0 {
        // The code was right, but its step was used already: a replay.
        return Err(failed(state, user).await);
    }
    Ok(())
}

/// Confirms the enrollment with a first code; returns the recovery codes,
/// shown this once.
pub async fn confirm(
    state: &AuthState,
    user: &user::Model,
    code: &str,
) -> Result<Vec<String>, AuthError> {
    if confirmed(&state.db, user.id).await?.is_some() {
        return Err(AuthError::Conflict("the second factor is already on"));
    }
    let txn = state.db.begin().await?;
    use_code(&txn, state, user, code, true).await?;
    let codes = new_recovery_codes(&txn, user).await?;
    txn.commit().await?;
    tracing::info!(user_id = %user.uuid, "TOTP second factor turned on");
    Ok(codes)
}

/// Replaces the account's recovery codes.
async fn new_recovery_codes<C: ConnectionTrait>(
    db: &C,
    user: &user::Model,
) -> Result<Vec<String>, AuthError> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user.id))
        .exec(db)
        .await?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code_text()).collect();
    recovery_code::Entity::insert_many(codes.iter().map(|code| recovery_code::ActiveModel {
        user_id: Set(user.id),
        code_hash: Set(sha256_hex(&normalize(code))),
        ..Default::default()
    }))
    .exec(db)
    .await?;
    Ok(codes)
}

/// Ten base32 characters in two groups (50 bits), e.g. `K7Q2M-XR4TB`.
fn recovery_code_text() -> String {
    let raw = random_secret();
    format!("{}-{}", &raw[..5], &raw[5..10])
}

fn normalize(code: &str) -> String {
    code.trim().replace('-', "").to_uppercase()
}

/// New recovery codes for an account with the factor on (the old ones stop
/// working).
pub async fn regenerate(state: &AuthState, user: &user::Model) -> Result<Vec<String>, AuthError> {
    if confirmed(&state.db, user.id).await?.is_none() {
        return Err(AuthError::NotFound("second factor"));
    }
    let txn = state.db.begin().await?;
    let codes = new_recovery_codes(&txn, user).await?;
    txn.commit().await?;
    Ok(codes)
}

/// Turns the factor off; needs a current code.
pub async fn disable(state: &AuthState, user: &user::Model, code: &str) -> Result<(), AuthError> {
    let txn = state.db.begin().await?;
    use_code(&txn, state, user, code, false).await?;
    totp_factor::Entity::delete_many()
        .filter(totp_factor::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    tracing::info!(user_id = %user.uuid, "TOTP second factor turned off");
    Ok(())
}

/// Whether the account has the factor on, and recovery codes left.
pub async fn status(db: &DatabaseConnection, user: &user::Model) -> Result<(bool, u64), AuthError> {
    use sea_orm::PaginatorTrait;
    let on = confirmed(db, user.id).await?.is_some();
    let left = recovery_code::Entity::active()
        .filter(recovery_code::Column::UserId.eq(user.id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await?;
    Ok((on, left))
}

/// A sign-in that still needs the second factor.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaChallenge {
    /// Always `true`: send a code to `POST /v1/auth/mfa/verify`.
    pub mfa_required: bool,
    /// Trade it for tokens with a code; good for five minutes and five tries.
    pub mfa_token: String,
    pub expires_in: u64,
    /// `totp` and `recovery_code`.
    pub methods: Vec<&'static str>,
}

/// What a first factor's success answers: tokens, or a challenge.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum SignIn {
    Tokens(TokenResponse),
    Challenge(MfaChallenge),
}

#[derive(Serialize, Deserialize)]
struct Pending {
    user_id: i64,
    first: String,
    user_agent: Option<String>,
    ip: Option<String>,
}

/// Where a challenge waits (`crate::pending`).
const CHALLENGE: &str = "mfa-challenge";

/// Tokens for `user` signed in by `first` (`pwd`, `sms`), or a challenge
/// when the account has a second factor.
pub async fn sign_in(
    state: &AuthState,
    user: &user::Model,
    device: Device,
    first: &'static str,
) -> Result<SignIn, AuthError> {
    if user.disabled_at.is_some() {
        return Err(AuthError::Disabled);
    }
    if confirmed(&state.db, user.id).await?.is_none() {
        return Ok(SignIn::Tokens(
            sessions::start(state, user, device, &[first]).await?,
        ));
    }
    let token = random_token();
    let waiting = Pending {
        user_id: user.id,
        first: first.to_owned(),
        user_agent: device.user_agent,
        ip: device.ip,
    };
    pending::keep(state, CHALLENGE, &token, &waiting, CHALLENGE_TTL_SECS).await?;
    Ok(SignIn::Challenge(MfaChallenge {
        mfa_required: true,
        mfa_token: token,
        expires_in: CHALLENGE_TTL_SECS,
        methods: vec!["totp", "recovery_code"],
    }))
}

/// The second step: a code (or a recovery code) for the challenge.
pub enum Proof<'a> {
    Code(&'a str),
    RecoveryCode(&'a str),
}

/// Trades a challenge and a proof for tokens whose `amr` has `otp`.
pub async fn verify(
    state: &AuthState,
    mfa_token: &str,
    proof: Proof<'_>,
) -> Result<TokenResponse, AuthError> {
    let waiting: Pending = pending::peek(state, CHALLENGE, mfa_token)
        .await?
        .ok_or(AuthError::InvalidChallenge)?;
    let key = pending::key(state, CHALLENGE, mfa_token);
    let mut conn = state.redis.connection();
    let tries_key = format!("{key}:tries");
    let tries: u64 = conn.incr(&tries_key, 1).await?;
    let _: bool = conn.expire(&tries_key, CHALLENGE_TTL_SECS as i64).await?;
    if tries > CHALLENGE_TRIES {
        let _: i64 = conn.del(&key).await?;
        return Err(AuthError::InvalidChallenge);
    }
    let user = crate::users::find_by_id(&state.db, waiting.user_id)
        .await?
        .ok_or(AuthError::InvalidChallenge)?;
    match proof {
        Proof::Code(code) => use_code(&state.db, state, &user, code, false).await?,
        Proof::RecoveryCode(code) => {
            not_throttled(state, &user).await?;
            let used = state
                .db
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "UPDATE recovery_codes SET used_at = now() \
                     WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
                    [user.id.into(), sha256_hex(&normalize(code)).into()],
                ))
                .await?
                .rows_affected();
            if used == 0 {
                return Err(failed(state, &user).await);
            }
        }
    }
    // The challenge is spent: one sign-in per challenge.
    let removed: i64 = conn.del(&key).await?;
    if removed == 0 {
        return Err(AuthError::InvalidChallenge);
    }
    throttle::reset(&state.redis, &failures_key(&user)).await?;
    let device = Device {
        user_agent: waiting.user_agent,
        ip: waiting.ip,
    };
    let first = waiting.first.as_str();
    sessions::start(state, &user, device, &[first, dayone_web::auth::AMR_MFA]).await
}
