use actix_web::{HttpResponse, web};
use dayone_model::BaseEntity;
use dayone_web::ApiError;
use dayone_web::audit::AdminAct;
use dayone_web::auth::api_keys::scopes;
use dayone_web::auth::{AuthenticatedUser, Caller};
use dayone_web::paging::{Page, PageBounds};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::account::{self, UpdateRequest};
use crate::accounts;
use crate::entities::user;
use crate::error::AuthError;
use crate::sessions::{self, SessionResponse};
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

/// One account: the caller's own, or any for an admin or an API key granted
/// `users:read`.
#[utoipa::path(
    get,
    path = "/v1/users/{uuid}",
    tag = "users",
    security(("bearer" = []), ("api_key" = [])),
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
    caller: Caller,
    uuid: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let uuid = uuid.into_inner();
    let user = match &caller {
        Caller::User(auth) => target(&state, auth, uuid).await?,
        Caller::Key(_) => {
            caller.require(scopes::USERS_READ)?;
            user::Entity::find_by_uuid(&state.db, uuid)
                .await?
                .ok_or(AuthError::NotFound("user"))?
        }
    };
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

#[derive(Debug, Deserialize, IntoParams)]
pub struct Search {
    /// An email or phone prefix, part of a name, or a user id.
    #[param(min_length = 1)]
    q: String,
    /// 1 to 10,000.
    #[param(minimum = 1, maximum = 10000)]
    page: Option<u64>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<u64>,
}

/// A page of accounts, newest first.
#[derive(Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserResponse>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

/// Accounts by email or phone prefix, name or id (admins, and API keys
/// granted `users:read`).
#[utoipa::path(
    get,
    path = "/v1/users",
    tag = "users",
    security(("bearer" = []), ("api_key" = [])),
    params(Search),
    responses(
        (status = 200, description = "Matching accounts", body = UserPage),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "An empty `q`, or `page` or `per_page` out of bounds", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn search(
    state: web::Data<AuthState>,
    caller: Caller,
    query: web::Query<Search>,
) -> Result<HttpResponse, ApiError> {
    caller.require(scopes::USERS_READ)?;
    if query.q.is_empty() {
        return Err(ApiError::validation(&[(
            "q",
            "must name an email, phone, name or user id".into(),
        )]));
    }
    let page = Page::checked(
        query.page,
        query.per_page,
        PageBounds {
            default_per_page: 20,
            max_per_page: 100,
        },
    )?;
    let (users, total) = accounts::search(&state.db, &query.q, page).await?;
    Ok(HttpResponse::Ok().json(UserPage {
        items: users.into_iter().map(UserResponse::from).collect(),
        page: page.page,
        per_page: page.per_page,
        total,
    }))
}

/// Disables an account (admins): its sessions end at once and it cannot
/// sign in until enabled. Admins cannot disable themselves.
#[utoipa::path(
    post,
    path = "/v1/users/{uuid}/disable",
    tag = "users",
    security(("bearer" = [])),
    params(("uuid" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "Disabled", body = UserResponse),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin, or the admin's own account", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such account", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn disable(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
    uuid: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    set_disabled(&state, &auth, uuid.into_inner(), true).await
}

/// Enables a disabled account again (admins); it signs in afresh.
#[utoipa::path(
    post,
    path = "/v1/users/{uuid}/enable",
    tag = "users",
    security(("bearer" = [])),
    params(("uuid" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "Enabled", body = UserResponse),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such account", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn enable(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
    uuid: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    set_disabled(&state, &auth, uuid.into_inner(), false).await
}

async fn set_disabled(
    state: &AuthState,
    auth: &AuthenticatedUser,
    uuid: Uuid,
    disabled: bool,
) -> Result<HttpResponse, ApiError> {
    auth.require_admin()?;
    let user = target(state, auth, uuid).await?;
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    let act = AdminAct::new(auth, action, user.uuid);
    let updated = accounts::set_disabled(state, &act, user, disabled).await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(updated)))
}

/// An account's live sessions (its owner, or an admin), most recently used
/// first.
#[utoipa::path(
    get,
    path = "/v1/users/{uuid}/sessions",
    tag = "users",
    security(("bearer" = [])),
    params(("uuid" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "Sessions", body = Vec<SessionResponse>),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Another user's account", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such account (admins)", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn sessions_of(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
    uuid: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let user = target(&state, &auth, uuid.into_inner()).await?;
    let list = sessions::list(&state, &user, auth.session_uuid).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Ends one of an account's sessions (its owner, or an admin).
#[utoipa::path(
    delete,
    path = "/v1/users/{uuid}/sessions/{id}",
    operation_id = "end_user_session",
    tag = "users",
    security(("bearer" = [])),
    params(("uuid" = Uuid, Path, description = "User id"), ("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Another user's account", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such account or live session", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn end_session(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (uuid, session) = path.into_inner();
    let user = target(&state, &auth, uuid).await?;
    let Some(id) = sessions::find_own(&state, &user, session).await? else {
        return Err(AuthError::NotFound("session").into());
    };
    let act = AdminAct::on_account(&auth, "user.end_session", user.uuid);
    sessions::end(&state, &user, Some(id), "ended by an admin", act.as_ref()).await?;
    Ok(HttpResponse::NoContent().finish())
}
