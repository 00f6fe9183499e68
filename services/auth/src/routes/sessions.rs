use actix_web::{HttpResponse, web};
use dayone_model::BaseEntity;
use dayone_web::auth::AuthenticatedUser;
use dayone_web::{ApiError, ErrorCode};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entities::user;
use crate::error::AuthError;
use crate::sessions::{self, SessionResponse, TokenResponse};
use crate::state::AuthState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// The caller's account; a deleted account's tokens are refused.
pub(crate) async fn caller(
    state: &AuthState,
    auth: &AuthenticatedUser,
) -> Result<user::Model, ApiError> {
    user::Entity::find_by_uuid(&state.db, auth.user_uuid)
        .await?
        .ok_or_else(account_gone)
}

/// [`caller`] from memory when it is there (see `profiles`): for reads
/// only; a write reads the row itself.
pub(crate) async fn cached_caller(
    state: &AuthState,
    auth: &AuthenticatedUser,
) -> Result<std::sync::Arc<user::Model>, ApiError> {
    state
        .profiles
        .get(&state.db, auth.user_uuid)
        .await?
        .ok_or_else(account_gone)
}

fn account_gone() -> ApiError {
    ApiError::new(ErrorCode::InvalidToken, "the account no longer exists")
}

/// Swaps a refresh token for new tokens. Each refresh token works once;
/// presenting a used one revokes its whole session.
#[utoipa::path(
    post,
    path = "/v1/auth/refresh",
    tag = "sessions",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 401, description = "Invalid, expired or reused refresh token", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn refresh(
    state: web::Data<AuthState>,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let tokens = sessions::refresh(&state, body.refresh_token.trim()).await?;
    Ok(HttpResponse::Ok().json(tokens))
}

async fn revoke(
    state: &AuthState,
    auth: &AuthenticatedUser,
    session_id: Option<i64>,
    reason: &str,
) -> Result<(), ApiError> {
    let user = caller(state, auth).await?;
    sessions::end(state, &user, session_id, reason, None).await?;
    Ok(())
}

/// Ends the session of the token making the request.
#[utoipa::path(
    post,
    path = "/v1/auth/logout",
    tag = "sessions",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn logout(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    let user = caller(&state, &auth).await?;
    let current = sessions::find_own(&state, &user, auth.session_uuid).await?;
    if let Some(id) = current {
        revoke(&state, &auth, Some(id), "logout").await?;
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Ends every session of the caller, on every device.
#[utoipa::path(
    post,
    path = "/v1/auth/logout-all",
    tag = "sessions",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "All sessions ended"),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn logout_all(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    revoke(&state, &auth, None, "logout-all").await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's live sessions, most recently used first.
#[utoipa::path(
    get,
    path = "/v1/auth/sessions",
    tag = "sessions",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Sessions", body = Vec<SessionResponse>),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn list(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    let user = caller(&state, &auth).await?;
    let sessions = sessions::list(&state, &user, auth.session_uuid).await?;
    Ok(HttpResponse::Ok().json(sessions))
}

/// Ends one of the caller's sessions. Someone else's session is a 404.
#[utoipa::path(
    delete,
    path = "/v1/auth/sessions/{id}",
    operation_id = "delete_session",
    tag = "sessions",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "Session ended"),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such session of the caller", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn delete(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let user = caller(&state, &auth).await?;
    let Some(session_id) = sessions::find_own(&state, &user, id.into_inner()).await? else {
        return Err(AuthError::NotFound("session").into());
    };
    revoke(&state, &auth, Some(session_id), "deleted by the user").await?;
    Ok(HttpResponse::NoContent().finish())
}
