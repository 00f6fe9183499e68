use actix_web::{HttpResponse, web};
use dayone_web::ApiError;
use dayone_web::client::ClientIp;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::Problems;
use crate::domain::{Email, Password};
use crate::error::AuthError;
use crate::state::AuthState;
use crate::{accounts, limits, users};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotRequest {
    #[schema(schema_with = crate::domain::email_schema)]
    pub email: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The token from the emailed link.
    pub token: String,
    #[schema(schema_with = crate::domain::password_schema)]
    pub new_password: String,
}

/// Emails a single-use reset link (valid 30 minutes) if an account has this
/// address. The answer is the same either way.
#[utoipa::path(
    post,
    path = "/v1/auth/password/forgot",
    tag = "password",
    request_body = ForgotRequest,
    responses(
        (status = 202, description = "A link is on its way if the address belongs to an account"),
        (status = 422, description = "Not an email address", body = dayone_web::error::ErrorDoc),
        (status = 429, description = "Too many reset links requested from this address or for this email", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn forgot(
    state: web::Data<AuthState>,
    client: ClientIp,
    body: web::Json<ForgotRequest>,
) -> Result<HttpResponse, ApiError> {
    let started = std::time::Instant::now();
    let mut problems = Problems::default();
    let email = problems.check("email", Email::parse(&body.email));
    problems.finish()?;
    let Some(email) = email else {
        return Err(AuthError::Invalid(vec![]).into());
    };

    // From one address for many emails, and for one email (its inbox)
    // from anywhere: enough for a forgetful user, too few to flood.
    limits::per_address(
        &state,
        limits::PASSWORD_RESET_PER_ADDRESS,
        client,
        "too many reset links requested from this address",
    )
    .await?;
    state
        .throttles
        .check(
            &state.redis,
            limits::PASSWORD_RESET_PER_EMAIL,
            email.as_str(),
            "too many reset emails for this email address",
        )
        .await?;
    if let Some(user) = users::find_by_email(&state.db, email.as_str()).await? {
        accounts::send_reset_link(&state, &user).await?;
        tracing::info!(user_id = %user.uuid, "password reset link sent");
    }
    limits::answer_floor(&state, started).await;
    Ok(HttpResponse::Accepted().json(json!({
        "message": "if this address belongs to an account, a reset link is on its way"
    })))
}

/// Sets a new password with the emailed token and ends every session.
#[utoipa::path(
    post,
    path = "/v1/auth/password/reset",
    tag = "password",
    request_body = ResetRequest,
    responses(
        (status = 204, description = "Password changed; all sessions ended"),
        (status = 400, description = "Invalid, expired or used token", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "Unacceptable password", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn reset(
    state: web::Data<AuthState>,
    body: web::Json<ResetRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::default();
    let password = problems.check_all("new_password", Password::parse(&body.new_password));
    problems.finish()?;
    let Some(password) = password else {
        return Err(AuthError::Invalid(vec![]).into());
    };

    let hash = state
        .hasher
        .hash(password.expose().to_owned(), state.settings.bcrypt_cost)
        .await
        .map_err(AuthError::from)?;
    let Some(user) = accounts::reset_password(&state, body.token.trim(), hash).await? else {
        return Err(AuthError::InvalidLink.into());
    };
    tracing::info!(user_id = %user.uuid, "password reset");
    Ok(HttpResponse::NoContent().finish())
}
