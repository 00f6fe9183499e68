//! The TOTP second factor: enroll, confirm, turn off, recovery codes, and
//! the second step of a sign-in.

use actix_web::{HttpResponse, web};
use dayone_web::ApiError;
use dayone_web::auth::AuthenticatedUser;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::sessions::caller;
use crate::error::AuthError;
use crate::mfa::{self, Enrollment, Proof};
use crate::sessions::TokenResponse;
use crate::state::AuthState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// The six digits the authenticator app shows.
    code: String,
}

#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Ten single-use codes for when the authenticator is lost, shown only
    /// now (stored hashed).
    recovery_codes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MfaStatus {
    /// Whether sign-in asks for a TOTP code.
    totp: bool,
    recovery_codes_left: u64,
}

/// Starts enrolling a TOTP authenticator: the secret as an `otpauth://`
/// URI and a QR code. Nothing changes at sign-in until a code confirms it.
#[utoipa::path(
    post,
    path = "/v1/auth/mfa/totp",
    operation_id = "enroll_totp",
    tag = "mfa",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The secret to add to an authenticator app", body = Enrollment),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 409, description = "A second factor is already on", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn enroll(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    let user = caller(&state, &auth).await?;
    let enrollment = mfa::enroll(&state, &user).await?;
    Ok(HttpResponse::Created().json(enrollment))
}

/// Confirms the enrollment with a code from the app: from now on sign-in
/// asks for a code. Answers the ten recovery codes, shown only now.
#[utoipa::path(
    post,
    path = "/v1/auth/mfa/totp/confirm",
    operation_id = "confirm_totp",
    tag = "mfa",
    security(("bearer" = [])),
    request_body = CodeRequest,
    responses(
        (status = 200, description = "On; keep the recovery codes somewhere safe", body = RecoveryCodes),
        (status = 401, description = "Wrong code, or missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No enrollment started", body = dayone_web::error::ErrorDoc),
        (status = 409, description = "Already on", body = dayone_web::error::ErrorDoc),
        (status = 429, description = "Too many wrong codes", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn confirm(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
    body: web::Json<CodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = caller(&state, &auth).await?;
    let codes = mfa::confirm(&state, &user, &body.code).await?;
    Ok(HttpResponse::Ok().json(RecoveryCodes {
        recovery_codes: codes,
    }))
}

/// Turns the second factor off; needs a current code (not a recovery code).
#[utoipa::path(
    post,
    path = "/v1/auth/mfa/totp/disable",
    operation_id = "disable_totp",
    tag = "mfa",
    security(("bearer" = [])),
    request_body = CodeRequest,
    responses(
        (status = 204, description = "Off"),
        (status = 401, description = "Wrong or reused code, or missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No second factor on", body = dayone_web::error::ErrorDoc),
        (status = 429, description = "Too many wrong codes", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn disable(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
    body: web::Json<CodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = caller(&state, &auth).await?;
    mfa::disable(&state, &user, &body.code).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Whether the second factor is on, and how many recovery codes are left.
#[utoipa::path(
    get,
    path = "/v1/auth/mfa",
    operation_id = "mfa_status",
    tag = "mfa",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account's second factor", body = MfaStatus),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn status(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    let user = caller(&state, &auth).await?;
    let (totp, recovery_codes_left) = mfa::status(&state.db, &user).await?;
    Ok(HttpResponse::Ok().json(MfaStatus {
        totp,
        recovery_codes_left,
    }))
}

/// New recovery codes (the old ones stop working). Needs a session signed
/// in with the second factor (`amr` has `otp`).
#[utoipa::path(
    post,
    path = "/v1/auth/mfa/recovery-codes",
    operation_id = "regenerate_recovery_codes",
    tag = "mfa",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new codes, shown only now", body = RecoveryCodes),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "The session was not signed in with the second factor", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No second factor on", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn regenerate(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    auth.require_mfa()?;
    let user = caller(&state, &auth).await?;
    let codes = mfa::regenerate(&state, &user).await?;
    Ok(HttpResponse::Ok().json(RecoveryCodes {
        recovery_codes: codes,
    }))
}

/// The second step of a sign-in: the challenge and either a code from the
/// authenticator or a recovery code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    mfa_token: String,
    code: Option<String>,
    recovery_code: Option<String>,
}

/// Completes a sign-in that answered `mfa_required`. The access token's
/// `amr` then has `otp`. A challenge takes five tries; wrong codes also
/// count against the account like wrong passwords.
#[utoipa::path(
    post,
    path = "/v1/auth/mfa/verify",
    operation_id = "verify_mfa",
    tag = "mfa",
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 400, description = "The challenge is invalid, expired or used up; sign in again", body = dayone_web::error::ErrorDoc),
        (status = 401, description = "Wrong, reused or expired code", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "Neither or both of `code` and `recovery_code`", body = dayone_web::error::ErrorDoc),
        (status = 429, description = "Too many wrong codes for the account", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn verify(
    state: web::Data<AuthState>,
    body: web::Json<VerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let proof = match (&body.code, &body.recovery_code) {
        (Some(code), None) => Proof::Code(code),
        (None, Some(code)) => Proof::RecoveryCode(code),
        _ => {
            return Err(AuthError::Invalid(vec![(
                "code",
                "send either `code` or `recovery_code`".into(),
            )])
            .into());
        }
    };
    let tokens = mfa::verify(&state, &body.mfa_token, proof).await?;
    Ok(HttpResponse::Ok().json(tokens))
}
