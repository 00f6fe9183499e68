//! The auth service's errors, and the one place they become HTTP answers.

use dayone_web::throttle::Usage;
use dayone_web::{ApiError, ErrorCode};

use crate::domain::FieldErrors;

dayone_web::error_codes! {
    /// The codes only auth answers (the shared ones are `ErrorCode`).
    pub enum AuthCode {
        EmailTaken => ("email_taken", CONFLICT, "Another account has this email"),
        PhoneTaken => ("phone_taken", CONFLICT, "Another account has this phone"),
        AccountDisabled => ("account_disabled", FORBIDDEN, "An admin disabled the account"),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("this phone number belongs to another account")]
    PhoneTaken,
    #[error("the email or password is wrong")]
    InvalidCredentials,
    #[error("the code is wrong or has expired")]
    InvalidCode,
    #[error("the refresh token is invalid or expired")]
    InvalidRefreshToken,
    #[error("the refresh token was used before; the session has been revoked")]
    RefreshTokenReused,
    #[error("the link is invalid, expired or already used")]
    InvalidLink,
    #[error("the MFA challenge is invalid, expired or used up; sign in again")]
    InvalidChallenge,
    #[error("the sign-in state is unknown, used or expired; start the sign-in again")]
    InvalidOAuthState,
    #[error("the passkey was not accepted: {0}")]
    PasskeyRefused(String),
    #[error("the passkey challenge is unknown, used or expired; start again")]
    InvalidCeremony,
    #[error("this account is disabled; contact support")]
    Disabled,
    #[error("too many attempts")]
    Throttled { usage: Usage, message: &'static str },
    #[error("not found")]
    NotFound(&'static str),
    #[error("forbidden")]
    Forbidden(&'static str),
    #[error("{0}")]
    Conflict(&'static str),
    /// A dependency the answer needs is down: a 503 with `Retry-After`.
    #[error("{0} is unavailable")]
    Unavailable(&'static str, anyhow::Error),
    #[error(transparent)]
    Overloaded(crate::passwords::Overloaded),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<crate::passwords::HashError> for AuthError {
    fn from(e: crate::passwords::HashError) -> Self {
        match e {
            crate::passwords::HashError::Overloaded(o) => Self::Overloaded(o),
            crate::passwords::HashError::Failed(e) => Self::Unexpected(e),
        }
    }
}

impl From<sea_orm::DbErr> for AuthError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Unexpected(e.into())
    }
}

impl From<redis::RedisError> for AuthError {
    fn from(e: redis::RedisError) -> Self {
        Self::Unexpected(anyhow::Error::new(e).context("Redis"))
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        let message = error.to_string();
        match error {
            AuthError::Invalid(fields) => ApiError::validation(&fields),
            AuthError::EmailTaken => ApiError::new(AuthCode::EmailTaken, message),
            AuthError::PhoneTaken => ApiError::new(AuthCode::PhoneTaken, message),
            AuthError::InvalidCredentials | AuthError::PasskeyRefused(_) => {
                ApiError::new(ErrorCode::InvalidCredentials, message)
            }
            AuthError::InvalidCode => ApiError::new(ErrorCode::InvalidCode, message),
            AuthError::InvalidRefreshToken => ApiError::new(ErrorCode::InvalidToken, message),
            AuthError::RefreshTokenReused => ApiError::new(ErrorCode::RefreshTokenReused, message),
            AuthError::InvalidLink => ApiError::new(ErrorCode::InvalidOrExpiredToken, message),
            AuthError::InvalidChallenge
            | AuthError::InvalidOAuthState
            | AuthError::InvalidCeremony => {
                ApiError::new(ErrorCode::InvalidOrExpiredToken, message)
            }
            AuthError::Disabled => ApiError::new(AuthCode::AccountDisabled, message),
            AuthError::Throttled { usage, message } => usage.too_many(message),
            AuthError::NotFound(what) => ApiError::not_found(what),
            AuthError::Forbidden(why) => ApiError::forbidden(why),
            AuthError::Conflict(why) => ApiError::conflict(why),
            AuthError::Unavailable(what, e) => ApiError::unavailable(what, e),
            AuthError::Overloaded(o) => ApiError::new(ErrorCode::DependencyUnavailable, message)
                .with_retry_after(o.retry_after_secs),
            AuthError::Unexpected(e) => ApiError::internal(e),
        }
    }
}
