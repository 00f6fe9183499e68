use actix_web::{HttpResponse, web};
use chrono::Utc;
use dayone_web::ApiError;
use sea_orm::{ActiveModelTrait, Set, TransactionTrait};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::entities::one_time_token::EMAIL_VERIFICATION;
use crate::entities::user;
use crate::error::AuthError;
use crate::state::AuthState;
use crate::{links, users};

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
    let txn = state.db.begin().await?;
    let Some(user_id) = links::consume(&txn, EMAIL_VERIFICATION, body.token.trim()).await? else {
        return Err(AuthError::InvalidLink.into());
    };
    let Some(user) = users::find_by_id(&txn, user_id).await? else {
        return Err(AuthError::InvalidLink.into());
    };
    if user.email_verified_at.is_none() {
        let mut change: user::ActiveModel = user.clone().into();
        change.email_verified_at = Set(Some(Utc::now()));
        change.update(&txn).await?;
    }
    txn.commit().await?;
    state.profiles.forget(user.uuid);
    tracing::info!(user_id = %user.uuid, "email verified");
    Ok(HttpResponse::NoContent().finish())
}
