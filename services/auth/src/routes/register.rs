use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use dayone_web::ApiError;
use dayone_web::client::ClientIp;
use serde::Deserialize;
use utoipa::ToSchema;

use super::Problems;
use crate::domain::{Email, Password, Phone, parse_name};
use crate::error::AuthError;
use crate::state::AuthState;
use crate::users::{NewUser, UserResponse};
use crate::{accounts, limits};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(schema_with = crate::domain::email_schema)]
    pub email: String,
    /// 8 to 128 characters, not a common password.
    #[schema(schema_with = crate::domain::password_schema)]
    pub password: String,
    /// 1 to 100 characters, no control characters.
    #[schema(schema_with = crate::domain::name_or_null_schema)]
    pub name: Option<String>,
    /// E.164, e.g. `+4915112345678`; enables login by SMS code.
    #[schema(schema_with = crate::domain::phone_or_null_schema)]
    pub phone: Option<String>,
    /// BCP 47 (`pt-BR`): the language of messages to the account; without
    /// it, the request's `Accept-Language`.
    #[schema(schema_with = crate::domain::locale_or_null_schema)]
    pub locale: Option<String>,
}

/// Creates an account. The `user.registered` event, the welcome email and
/// the verification email are written in the same transaction.
#[utoipa::path(
    post,
    path = "/v1/auth/register",
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created", body = UserResponse),
        (status = 409, description = "Email or phone already used", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "Invalid fields", body = dayone_web::error::ErrorDoc),
        (status = 429, description = "Too many accounts registered from this address", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn register(
    req: actix_web::HttpRequest,
    state: web::Data<AuthState>,
    client: ClientIp,
    body: web::Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let mut problems = Problems::default();
    let email = problems.check("email", Email::parse(&body.email));
    let password = problems.check_all("password", Password::parse(&body.password));
    let name = body
        .name
        .as_deref()
        .and_then(|n| problems.check("name", parse_name(n)));
    let phone = body
        .phone
        .as_deref()
        .and_then(|p| problems.check("phone", Phone::parse(p)));
    let locale = match body.locale.as_deref() {
        Some(l) => problems.check("locale", dayone_model::locale::parse(l)),
        None => req
            .headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| dayone_model::locale::accept_language(v).into_iter().next()),
    };
    problems.finish()?;
    let (Some(email), Some(password)) = (email, password) else {
        return Err(AuthError::Invalid(vec![]).into());
    };

    // Each account sends two emails to an address the caller chose.
    limits::per_address(
        &state,
        limits::REGISTER_PER_ADDRESS,
        client,
        "too many accounts registered from this address",
    )
    .await?;
    let password_hash = state
        .hasher
        .hash(password.expose().to_owned(), state.settings.bcrypt_cost)
        .await
        .map_err(AuthError::from)?;
    let user = accounts::register(
        &state,
        NewUser {
            email: email.into_inner(),
            password_hash,
            name,
            phone: phone.map(Phone::into_inner),
            locale,
            roles: vec!["user".into()],
        },
    )
    .await?;
    tracing::info!(user_id = %user.uuid, "user registered; the welcome and verification emails are queued");

    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/v1/users/{}", user.uuid)))
        .json(UserResponse::from(user)))
}
