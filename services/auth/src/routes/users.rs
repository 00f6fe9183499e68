use actix_web::{HttpResponse, web};
use dayone_model::BaseEntity;
use dayone_web::ApiError;
use dayone_web::auth::AuthenticatedUser;
use uuid::Uuid;

use super::account::{self, UpdateRequest};
use crate::entities::user;
use crate::error::AuthError;
use crate::state::AuthState;
use crate::users::UserResponse;

/// The account `uuid` if the caller may act on it: themselves, or anyone
/// for an admin. Anyone else's account is a 403 whether or not it exists.
async fn target(
    state: &AuthState,
    auth: &AuthenticatedUser,
    uuid: Uuid,
) -> Result<user::Model, ApiError> {
    if !auth.can_act_for(uuid) {
        return Err(AuthError::Forbidden("you can only act on your own account").into());
    }
    user::Entity::find_by_uuid(&state.db, uuid)
        .await?
        .ok_or_else(|| AuthError::NotFound("user").into())
}

/// One account: the caller's own, or any for an admin.
#[utoipa::path(
    get,
    path = "/v1/users/{uuid}",
    tag = "users",
    security(("bearer" = [])),
    params(("uuid" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The account", body = UserResponse),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Another user's account", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such account (admins)", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn get(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
    uuid: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let user = target(&state, &auth, uuid.into_inner()).await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}

/// Changes an account: name and phone; admins may also change roles (which
/// ends the account's sessions so the new roles apply at once).
#[utoipa::path(
    patch,
    path = "/v1/users/{uuid}",
    tag = "users",
    security(("bearer" = [])),
    params(("uuid" = Uuid, Path, description = "User id")),
    request_body = UpdateRequest,
    responses(
        (status = 200, description = "Updated", body = UserResponse),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Another user's account, or roles without admin", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such account (admins)", body = dayone_web::error::ErrorDoc),
        (status = 409, description = "Phone used by another account", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "Invalid fields, or a new phone from someone not an admin (confirmed by code: `POST /v1/auth/me/phone`)", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn update(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
    uuid: web::Path<Uuid>,
    body: web::Json<UpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = target(&state, &auth, uuid.into_inner()).await?;
    let updated = account::update(
        &state,
        &auth,
        user,
        body.into_inner(),
        account::NewPhone::Asked,
    )
    .await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(updated)))
}

/// Deletes an account (soft delete): it can no longer log in and all its
/// sessions end.
#[utoipa::path(
    delete,
    path = "/v1/users/{uuid}",
    operation_id = "delete_user",
    tag = "users",
    security(("bearer" = [])),
    params(("uuid" = Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Another user's account", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such account (admins)", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn delete(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
    uuid: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let user = target(&state, &auth, uuid.into_inner()).await?;
    account::delete(&state, &auth, user).await?;
    Ok(HttpResponse::NoContent().finish())
}
