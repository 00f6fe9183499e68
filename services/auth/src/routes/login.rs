use actix_web::{HttpRequest, HttpResponse, web};
use dayone_web::ApiError;
use dayone_web::client::ClientIp;
use dayone_web::throttle::{self, Limit};
use sea_orm::{ActiveModelTrait, Set};
use serde::Deserialize;
use std::time::Duration;
use utoipa::ToSchema;

use crate::error::AuthError;
use crate::mfa::{self, SignIn};
use crate::state::AuthState;
use crate::{passwords, users};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Logs in with email and password. An account with a second factor gets
/// an MFA challenge instead of tokens (see `POST /v1/auth/mfa/verify`).
/// A wrong password and an unknown email
/// get the same answer in about the same time. Failures are counted per
/// account and per client address; past the limit the answer is a 429 until
/// the window ends.
#[utoipa::path(
    post,
    path = "/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in, or a challenge for the second factor", body = SignIn),
        (status = 401, description = "Wrong email or password", body = dayone_web::error::ErrorDoc),
        (status = 429, description = "Too many failed attempts", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AuthState>,
    client: ClientIp,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { email, password } = body.into_inner();
    let email = email.trim().to_lowercase();
    let limits = &state.settings.login;
    let window = Duration::from_secs(limits.window_secs);
    let account = Limit {
        max: limits.max_failures_per_account,
        window,
    };
    let address = Limit {
        max: limits.max_failures_per_ip,
        window,
    };
    // Counted per email whether or not an account has it, so the limit
    // itself does not tell which emails exist.
    let account_key = format!("login-failures:account:{email}");
    let address_key = format!("login-failures:ip:{}", client.0);

    for (key, limit) in [(&account_key, account), (&address_key, address)] {
        let usage = throttle::usage(&state.redis, key)
            .await
            .map_err(AuthError::from)?;
        if usage.reached(limit) {
            return Err(AuthError::Throttled {
                usage,
                message: "too many failed logins; try again later",
            }
            .into());
        }
    }

    let user = users::find_by_email(&state.db, &email).await?;
    let hash = user
        .as_ref()
        .map_or_else(|| state.dummy_hash.clone(), |u| u.password_hash.clone());
    let matches = state
        .hasher
        .verify(password.clone(), hash)
        .await
        .map_err(AuthError::from)?;
    let Some(user) = user.filter(|_| matches) else {
        throttle::hit(&state.redis, &account_key, account)
            .await
            .map_err(AuthError::from)?;
        throttle::hit(&state.redis, &address_key, address)
            .await
            .map_err(AuthError::from)?;
        tracing::info!("login failed");
        return Err(AuthError::InvalidCredentials.into());
    };
    throttle::reset(&state.redis, &account_key)
        .await
        .map_err(AuthError::from)?;

    // A hash made with another cost, or before passwords were pre-hashed,
    // is re-made now that we have the password.
    let user = if !passwords::is_current(&user.password_hash, state.settings.bcrypt_cost) {
        let rehashed = state
            .hasher
            .hash(password, state.settings.bcrypt_cost)
            .await
            .map_err(AuthError::from)?;
        let mut change: crate::entities::user::ActiveModel = user.into();
        change.password_hash = Set(rehashed);
        let user = change.update(&state.db).await?;
        tracing::info!(user_id = %user.uuid, cost = state.settings.bcrypt_cost, "password hash upgraded");
        user
    } else {
        user
    };
    let signed_in = mfa::sign_in(&state, &user, super::device(&req), "pwd").await?;
    Ok(HttpResponse::Ok().json(signed_in))
}
