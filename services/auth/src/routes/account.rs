use actix_web::{HttpResponse, web};
use dayone_web::ApiError;
use dayone_web::audit::AdminAct;
use dayone_web::auth::{ADMIN, AuthenticatedUser};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use super::Problems;
use super::sessions::{cached_caller, caller};
use crate::accounts;
use crate::domain::{Phone, parse_name};
use crate::entities::user;
use crate::error::AuthError;
use crate::state::AuthState;
use crate::users::UserResponse;

/// Absent stays `None`; `null` becomes `Some(None)` (clear the field).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// One optional field of a PATCH.
enum Edit<T> {
    Keep,
    Clear,
    Set(T),
}

impl<T> Edit<T> {
    /// `parse` returns `None` when it recorded a problem.
    fn parse(field: Option<Option<String>>, parse: impl FnOnce(&str) -> Option<T>) -> Self {
        match field {
            None => Self::Keep,
            Some(None) => Self::Clear,
            Some(Some(raw)) => parse(&raw).map_or(Self::Keep, Self::Set),
        }
    }

    fn changes(&self) -> bool {
        !matches!(self, Self::Keep)
    }

    /// `Some(new value)` when the field changes.
    fn into_value(self) -> Option<Option<T>> {
        match self {
            Self::Keep => None,
            Self::Clear => Some(None),
            Self::Set(v) => Some(Some(v)),
        }
    }
}

/// Fields to change; the ones left out stay as they are, `null` clears.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRequest {
    /// 1 to 100 characters, no control characters; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = crate::domain::name_or_null_schema)]
    pub name: Option<Option<String>>,
    /// E.164; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = crate::domain::phone_or_null_schema)]
    pub phone: Option<Option<String>>,
    /// BCP 47 (`pt-BR`): the language of messages; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = crate::domain::locale_or_null_schema)]
    pub locale: Option<Option<String>>,
    /// Admins only: `user` and `admin` are the roles; `user` is always kept.
    #[schema(schema_with = roles_schema)]
    pub roles: Option<Vec<String>>,
}

/// The caller's own changes: a name, or removing the phone. A new phone is
/// confirmed by code first (`POST /v1/auth/me/phone`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeUpdateRequest {
    /// 1 to 100 characters, no control characters; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = crate::domain::name_or_null_schema)]
    pub name: Option<Option<String>>,
    /// Only `null` (removes it); a new number goes through
    /// `POST /v1/auth/me/phone`.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = null_only)]
    pub phone: Option<Option<String>>,
    /// BCP 47 (`pt-BR`): the language of messages; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = crate::domain::locale_or_null_schema)]
    pub locale: Option<Option<String>>,
}

fn null_only() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    dayone_web::openapi::schema(serde_json::json!({"type": "null"}))
}

fn roles_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    dayone_web::openapi::schema(serde_json::json!({
        "type": ["array", "null"],
        "items": {"type": "string", "enum": ["user", ADMIN]},
    }))
}

/// Where a new phone number comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum NewPhone {
    /// The request: only an admin may set one this way.
    Asked,
    /// A code sent to it came back (`POST /v1/auth/me/phone/confirm`).
    Confirmed,
}

/// Applies `change` to `target` on behalf of `actor`.
pub(crate) async fn update(
    state: &AuthState,
    actor: &AuthenticatedUser,
    target: user::Model,
    change: UpdateRequest,
    new_phone: NewPhone,
) -> Result<user::Model, ApiError> {
    let mut problems = Problems::default();
    let name = Edit::parse(change.name, |n| problems.check("name", parse_name(n)));
    let unconfirmed = new_phone == NewPhone::Asked && !actor.is_admin();
    let phone = Edit::parse(change.phone, |p| {
        if unconfirmed {
            problems.0.push((
                "phone",
                "a new number is confirmed by code first: POST /v1/auth/me/phone".into(),
            ));
            return None;
        }
        problems
            .check("phone", Phone::parse(p))
            .map(Phone::into_inner)
    });
    let locale = Edit::parse(change.locale, |l| {
        problems.check("locale", dayone_model::locale::parse(l))
    });
    if let Some(roles) = &change.roles {
        if !actor.is_admin() {
            return Err(AuthError::Forbidden("only an admin can change roles").into());
        }
        for role in roles
            .iter()
            .filter(|r| !["user", ADMIN].contains(&r.as_str()))
        {
            problems
                .0
                .push(("roles", format!("`{role}` is not a role")));
        }
    }
    problems.finish()?;

    let contact_changed = name.changes() || phone.changes() || locale.changes();
    // Every account keeps `user`; the order is fixed, repeats dropped.
    let roles = change.roles.map(|asked| {
        let mut roles = vec!["user".to_owned()];
        if asked.iter().any(|r| r == ADMIN) {
            roles.push(ADMIN.to_owned());
        }
        roles
    });
    // Roles are an admin's to change, their own included.
    let act = match &roles {
        Some(_) => Some(AdminAct::new(actor, "user.set_roles", target.uuid)),
        None => AdminAct::on_account(actor, "user.update", target.uuid),
    };
    let edit = accounts::Edit {
        name: name.into_value(),
        phone: phone.into_value(),
        locale: locale.into_value(),
        roles,
        contact_changed,
    };
    let updated = accounts::update(state, target, edit, act.as_ref()).await?;
    tracing::info!(user_id = %updated.uuid, by = %actor.user_uuid, "account updated");
    Ok(updated)
}

/// Soft-deletes `target`, ends its sessions and announces `user.deleted`.
pub(crate) async fn delete(
    state: &AuthState,
    actor: &AuthenticatedUser,
    target: user::Model,
) -> Result<(), ApiError> {
    let act = AdminAct::on_account(actor, "user.delete", target.uuid);
    if !accounts::delete(state, &target, act.as_ref()).await? {
        return Err(AuthError::NotFound("user").into());
    }
    tracing::info!(user_id = %target.uuid, by = %actor.user_uuid, "account deleted");
    Ok(())
}

/// The caller's account.
#[utoipa::path(
    get,
    path = "/v1/auth/me",
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = UserResponse),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn me(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    let user = cached_caller(&state, &auth).await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user.as_ref().clone())))
}

/// Changes the caller's name, or removes their phone.
#[utoipa::path(
    patch,
    path = "/v1/auth/me",
    tag = "users",
    security(("bearer" = [])),
    request_body = MeUpdateRequest,
    responses(
        (status = 200, description = "Updated", body = UserResponse),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "Invalid fields, or a new phone (confirmed by code: `POST /v1/auth/me/phone`)", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn update_me(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
    body: web::Json<MeUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let user = caller(&state, &auth).await?;
    let change = UpdateRequest {
        name: body.name,
        phone: body.phone,
        locale: body.locale,
        roles: None,
    };
    let updated = update(&state, &auth, user, change, NewPhone::Asked).await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(updated)))
}
