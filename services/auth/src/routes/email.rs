use actix_web::{HttpResponse, web};
use dayone_web::auth::AuthenticatedUser;
use dayone_web::{ApiError, ErrorCode};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::sessions::caller;
use crate::error::AuthError;
use crate::state::AuthState;
use crate::{limits, verification};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    /// The token from the verification email's link.
    pub token: String,
}

/// Confirms the account's email address with the token from the link sent at
/// registration.
#[utoipa::path(
    post,
    path = "/v1/auth/email/verify",
    operation_id = "verify_email",
    tag = "auth",
    request_body = VerifyEmailRequest,
    responses(
        (status = 204, description = "Email verified"),
        (status = 400, description = "Invalid, expired or used token", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn verify(
    state: web::Data<AuthState>,
    body: web::Json<VerifyEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    let Some(user) = verification::verify(&state, body.token.trim()).await? else {
        return Err(AuthError::InvalidLink.into());
    };
    tracing::info!(user_id = %user.uuid, "email verified");
    Ok(HttpResponse::NoContent().finish())
}

/// Sends the verification email again, with a new link (the older ones stop
/// working). At most a few per account per hour.
#[utoipa::path(
    post,
    path = "/v1/auth/email/resend",
    operation_id = "resend_verification_email",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "A new link is on its way"),
        (status = 409, description = "The address is verified already", body = dayone_web::error::ErrorDoc),
        (status = 429, description = "Too many for this account; see `Retry-After`", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn resend(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    let user = caller(&state, &auth).await?;
    if user.email_verified_at.is_some() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "the email address is verified already",
        ));
    }
    state
        .throttles
        .check(
            &state.redis,
            limits::EMAIL_VERIFICATION_PER_ACCOUNT,
            &user.uuid.to_string(),
            "too many verification emails for this account",
        )
        .await?;
    verification::resend(&state, &user).await?;
    tracing::info!(user_id = %user.uuid, "verification email sent again");
    Ok(HttpResponse::Accepted().json(json!({
        "message": "a new verification link is on its way"
    })))
}
