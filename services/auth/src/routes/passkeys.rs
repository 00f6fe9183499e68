//! Passkeys: register several per account, list and delete them, and sign
//! in with one (see `crate::passkeys`).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use dayone_web::ApiError;
use dayone_web::auth::AuthenticatedUser;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::sessions::caller;
use crate::entities::passkey;
use crate::passkeys::{self, Started};
use crate::sessions::TokenResponse;
use crate::state::AuthState;

/// A ceremony to hand to the browser.
#[derive(Serialize, ToSchema)]
pub struct Ceremony {
    /// Send it back with the authenticator's answer (five minutes, once).
    challenge_id: String,
    /// For `navigator.credentials.create()` / `.get()`: `{"publicKey": ...}`
    /// (binary fields base64url).
    #[schema(value_type = Object)]
    options: Value,
}

impl From<Started> for Ceremony {
    fn from(started: Started) -> Self {
        Self {
            challenge_id: started.challenge_id,
            options: started.options,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PasskeyResponse {
    uuid: Uuid,
    name: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
}

impl From<passkey::Model> for PasskeyResponse {
    fn from(p: passkey::Model) -> Self {
        Self {
            uuid: p.uuid,
            name: p.name,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PasskeyList {
    items: Vec<PasskeyResponse>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishRegistration {
    challenge_id: String,
    /// What to call it ("MacBook", "YubiKey"); "Passkey" by default.
    #[schema(max_length = 100)]
    name: Option<String>,
    /// The `PublicKeyCredential` from `navigator.credentials.create()`,
    /// binary fields base64url.
    #[schema(value_type = Object)]
    credential: Value,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishSignIn {
    challenge_id: String,
    /// The `PublicKeyCredential` from `navigator.credentials.get()`.
    #[schema(value_type = Object)]
    credential: Value,
}

/// Starts registering a passkey for the caller's account.
#[utoipa::path(
    post,
    path = "/v1/auth/passkeys/register/start",
    operation_id = "start_passkey_registration",
    tag = "passkeys",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Options for `navigator.credentials.create()`", body = Ceremony),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn start_registration(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    let user = caller(&state, &auth).await?;
    let started = passkeys::start_registration(&state, &user).await?;
    Ok(HttpResponse::Ok().json(Ceremony::from(started)))
}

/// Checks the authenticator's answer and keeps the passkey.
#[utoipa::path(
    post,
    path = "/v1/auth/passkeys/register/finish",
    operation_id = "finish_passkey_registration",
    tag = "passkeys",
    security(("bearer" = [])),
    request_body = FinishRegistration,
    responses(
        (status = 201, description = "Registered", body = PasskeyResponse),
        (status = 400, description = "The challenge is unknown, used or expired", body = dayone_web::error::ErrorDoc),
        (status = 401, description = "The answer does not verify, or a missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 409, description = "This passkey is registered already", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "A name over 100 characters", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn finish_registration(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
    body: web::Json<FinishRegistration>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let name = body
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("Passkey");
    if name.chars().count() > 100 {
        return Err(ApiError::validation(&[(
            "name",
            "must be at most 100 characters".into(),
        )]));
    }
    let user = caller(&state, &auth).await?;
    let saved =
        passkeys::finish_registration(&state, &user, &body.challenge_id, name, body.credential)
            .await?;
    Ok(HttpResponse::Created().json(PasskeyResponse::from(saved)))
}

/// The caller's passkeys, oldest first.
#[utoipa::path(
    get,
    path = "/v1/auth/passkeys",
    operation_id = "list_passkeys",
    tag = "passkeys",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The passkeys", body = PasskeyList),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn list(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    let user = caller(&state, &auth).await?;
    let items = passkeys::list(&state.db, &user).await?;
    Ok(HttpResponse::Ok().json(PasskeyList {
        items: items.into_iter().map(PasskeyResponse::from).collect(),
    }))
}

/// Deletes one of the caller's passkeys.
#[utoipa::path(
    delete,
    path = "/v1/auth/passkeys/{uuid}",
    operation_id = "delete_passkey",
    tag = "passkeys",
    security(("bearer" = [])),
    params(("uuid" = Uuid, Path, description = "Passkey id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such passkey of the caller's", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn delete(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
    uuid: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let user = caller(&state, &auth).await?;
    passkeys::delete(&state.db, &user, uuid.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Starts a passkey sign-in (no email: the authenticator offers the
/// account's passkey).
#[utoipa::path(
    post,
    path = "/v1/auth/passkeys/login/start",
    operation_id = "start_passkey_sign_in",
    tag = "passkeys",
    responses((status = 200, description = "Options for `navigator.credentials.get()`", body = Ceremony))
)]
pub async fn start_sign_in(state: web::Data<AuthState>) -> Result<HttpResponse, ApiError> {
    let started = passkeys::start_sign_in(&state).await?;
    Ok(HttpResponse::Ok().json(Ceremony::from(started)))
}

/// Signs in with the authenticator's answer. The access token's `amr` is
/// `hwk`: a passkey is a second factor by itself.
#[utoipa::path(
    post,
    path = "/v1/auth/passkeys/login/finish",
    operation_id = "finish_passkey_sign_in",
    tag = "passkeys",
    request_body = FinishSignIn,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 400, description = "The challenge is unknown, used or expired", body = dayone_web::error::ErrorDoc),
        (status = 401, description = "The answer does not verify, or names no passkey", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "The account is disabled", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn finish_sign_in(
    req: HttpRequest,
    state: web::Data<AuthState>,
    body: web::Json<FinishSignIn>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let tokens = passkeys::finish_sign_in(
        &state,
        &body.challenge_id,
        body.credential,
        super::device(&req),
    )
    .await?;
    Ok(HttpResponse::Ok().json(tokens))
}
