//! API keys for services and scripts (admins with a user's access token;
//! a key cannot manage keys).

use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use dayone_web::ApiError;
use dayone_web::audit::AdminAct;
use dayone_web::auth::AuthenticatedUser;
use dayone_web::auth::api_keys::scopes;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::api_keys::{self, Issued, NewKey};
use crate::entities::api_key;
use crate::state::AuthState;

/// The longest a key may live; rotate or replace it before then.
const MAX_DAYS: i64 = 730;

/// What a key may be granted (`dayone_web::auth::api_keys::scopes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub enum Scope {
    #[serde(rename = "notifications:send")]
    NotificationsSend,
    #[serde(rename = "users:read")]
    UsersRead,
    #[serde(rename = "products:write")]
    ProductsWrite,
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Self::NotificationsSend => scopes::NOTIFICATIONS_SEND,
            Self::UsersRead => scopes::USERS_READ,
            Self::ProductsWrite => scopes::PRODUCTS_WRITE,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// What the key is for, e.g. "billing service".
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    name: String,
    /// What it may do.
    #[schema(min_items = 1)]
    scopes: Vec<Scope>,
    /// Days until it stops working.
    #[schema(minimum = 1, maximum = 730)]
    expires_in_days: i64,
}

/// A key as listed (never its secret).
#[derive(Serialize, ToSchema)]
pub struct KeyResponse {
    uuid: Uuid,
    name: String,
    scopes: Vec<String>,
    created_by: Uuid,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    rotated_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<api_key::Model> for KeyResponse {
    fn from(key: api_key::Model) -> Self {
        Self {
            scopes: api_keys::scopes_of(&key),
            uuid: key.uuid,
            name: key.name,
            created_by: key.created_by,
            created_at: key.created_at,
            expires_at: key.expires_at,
            rotated_at: key.rotated_at,
            revoked_at: key.revoked_at,
        }
    }
}

/// A key just made or rotated, with its full text: shown this once, stored
/// only as a hash. Send it as `Authorization: Bearer <key>`.
#[derive(Serialize, ToSchema)]
pub struct IssuedKey {
    #[serde(flatten)]
    key: KeyResponse,
    key_text: String,
}

impl From<Issued> for IssuedKey {
    fn from(issued: Issued) -> Self {
        Self {
            key: issued.key.into(),
            key_text: issued.text,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct KeyList {
    items: Vec<KeyResponse>,
}

fn checked(body: CreateKey) -> Result<NewKey, ApiError> {
    let mut problems = Vec::new();
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        problems.push(("name", "must be 1 to 100 characters".to_owned()));
    }
    if body.scopes.is_empty() {
        problems.push(("scopes", "must name at least one scope".to_owned()));
    }
    let mut granted: Vec<String> = Vec::new();
    for scope in body.scopes.iter().map(|s| s.name().to_owned()) {
        if !granted.contains(&scope) {
            granted.push(scope);
        }
    }
    if !(1..=MAX_DAYS).contains(&body.expires_in_days) {
        problems.push(("expires_in_days", format!("must be 1 to {MAX_DAYS}")));
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(&problems));
    }
    Ok(NewKey {
        name,
        scopes: granted,
        expires_at: Utc::now() + Duration::days(body.expires_in_days),
    })
}

/// Makes an API key (admins). The answer holds the key's text, the only
/// time it is shown.
#[utoipa::path(
    post,
    path = "/v1/auth/api-keys",
    operation_id = "create_api_key",
    tag = "api keys",
    security(("bearer" = [])),
    request_body = CreateKey,
    responses(
        (status = 201, description = "Made; `key_text` is shown only now", body = IssuedKey),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin, or called with an API key", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "No name, an unknown scope, or an expiry out of range", body = dayone_web::error::ErrorDoc),
        (status = 503, description = "Redis is unreachable: the key could not be made usable", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn create(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
    body: web::Json<CreateKey>,
) -> Result<HttpResponse, ApiError> {
    auth.require_admin()?;
    let new = checked(body.into_inner())?;
    let issued = api_keys::create(&state, new, &AdminAct::new(&auth, "api_key.create", "")).await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/v1/auth/api-keys/{}", issued.key.uuid)))
        .json(IssuedKey::from(issued)))
}

/// Every API key, newest first, revoked and expired ones included (admins).
#[utoipa::path(
    get,
    path = "/v1/auth/api-keys",
    operation_id = "list_api_keys",
    tag = "api keys",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The keys, without their secrets", body = KeyList),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin, or called with an API key", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn list(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    auth.require_admin()?;
    let keys = api_keys::list(&state.db).await?;
    Ok(HttpResponse::Ok().json(KeyList {
        items: keys.into_iter().map(KeyResponse::from).collect(),
    }))
}

/// Gives the key a new secret (admins); the old one is refused everywhere
/// from now on.
#[utoipa::path(
    post,
    path = "/v1/auth/api-keys/{uuid}/rotate",
    operation_id = "rotate_api_key",
    tag = "api keys",
    security(("bearer" = [])),
    params(("uuid" = Uuid, Path, description = "Key id")),
    responses(
        (status = 200, description = "The new secret; `key_text` is shown only now", body = IssuedKey),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin, or called with an API key", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such key", body = dayone_web::error::ErrorDoc),
        (status = 409, description = "The key is revoked or expired", body = dayone_web::error::ErrorDoc),
        (status = 503, description = "Redis is unreachable; retry", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn rotate(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
    uuid: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    auth.require_admin()?;
    let uuid = uuid.into_inner();
    let act = AdminAct::new(&auth, "api_key.rotate", uuid);
    let issued = api_keys::rotate(&state, uuid, &act).await?;
    Ok(HttpResponse::Ok().json(IssuedKey::from(issued)))
}

/// Revokes the key (admins): refused everywhere from now on, for good.
#[utoipa::path(
    delete,
    path = "/v1/auth/api-keys/{uuid}",
    operation_id = "revoke_api_key",
    tag = "api keys",
    security(("bearer" = [])),
    params(("uuid" = Uuid, Path, description = "Key id")),
    responses(
        (status = 204, description = "Revoked (or already was)"),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin, or called with an API key", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such key", body = dayone_web::error::ErrorDoc),
        (status = 503, description = "Redis is unreachable: the key may still be accepted; retry", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn revoke(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
    uuid: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    auth.require_admin()?;
    let uuid = uuid.into_inner();
    let act = AdminAct::new(&auth, "api_key.revoke", uuid);
    api_keys::revoke(&state, uuid, &act).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_services_check_can_be_granted() {
        for name in scopes::ALL {
            let scope: Scope = serde_json::from_value(serde_json::json!(name)).unwrap();
            assert_eq!(scope.name(), *name);
        }
    }
}
