//! Sign-in with OAuth 2.0 / OpenID Connect providers (see `crate::oauth`).

use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use dayone_web::ApiError;
use dayone_web::auth::AuthenticatedUser;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::sessions::caller;
use crate::error::AuthError;
use crate::mfa::SignIn;
use crate::oauth::{self, Callback, Landing};
use crate::state::AuthState;

#[derive(Serialize, ToSchema)]
pub struct ProviderList {
    /// The names to use in `/v1/auth/oauth/{provider}/authorize`.
    providers: Vec<String>,
}

/// The sign-in providers this deployment offers.
#[utoipa::path(
    get,
    path = "/v1/auth/oauth/providers",
    operation_id = "list_oauth_providers",
    tag = "oauth",
    responses((status = 200, description = "Their names", body = ProviderList))
)]
pub async fn providers(state: web::Data<AuthState>) -> HttpResponse {
    HttpResponse::Ok().json(ProviderList {
        providers: state.federation.names().map(str::to_owned).collect(),
    })
}

#[derive(Deserialize, IntoParams)]
pub struct AuthorizeQuery {
    /// The app page the sign-in ends on (one of `auth.oauth.redirects`;
    /// the first by default). It gets `?code=` or `?error=`.
    redirect_to: Option<String>,
    /// Passed to the provider to pre-fill the account.
    login_hint: Option<String>,
}

fn found(location: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((LOCATION, location))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

/// Starts a sign-in: redirects the browser to the provider with `state`,
/// `nonce` and a PKCE (S256) challenge. Open it in the browser, not with
/// `fetch`.
#[utoipa::path(
    get,
    path = "/v1/auth/oauth/{provider}/authorize",
    operation_id = "oauth_authorize",
    tag = "oauth",
    params(("provider" = String, Path, description = "A provider's name"), AuthorizeQuery),
    responses(
        (status = 302, description = "To the provider's sign-in page"),
        (status = 404, description = "No such provider", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "`redirect_to` is not an allowed page", body = dayone_web::error::ErrorDoc),
        (status = 503, description = "The provider's discovery document could not be read", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn authorize(
    state: web::Data<AuthState>,
    provider: web::Path<String>,
    query: web::Query<AuthorizeQuery>,
) -> Result<HttpResponse, ApiError> {
    let url = oauth::authorize(
        &state,
        &provider,
        query.redirect_to.as_deref(),
        query.login_hint.as_deref(),
        None,
    )
    .await?;
    Ok(found(&url))
}

#[derive(Deserialize, IntoParams, ToSchema)]
pub struct CallbackParams {
    state: Option<String>,
    code: Option<String>,
    /// Set when the person declined or the provider failed.
    error: Option<String>,
}

async fn finish(
    req: &HttpRequest,
    state: &AuthState,
    provider: &str,
    params: &CallbackParams,
) -> Result<HttpResponse, ApiError> {
    let Some(oauth_state) = params.state.as_deref() else {
        return Err(AuthError::InvalidOAuthState.into());
    };
    let back = Callback {
        state: oauth_state,
        code: params.code.as_deref(),
        error: params.error.as_deref(),
    };
    match oauth::callback(state, provider, back, super::device(req)).await? {
        Landing::SignedIn(page) | Landing::Failed(page) => Ok(found(&page)),
    }
}

/// Where the provider sends the browser back. It goes on to the app's page
/// with a one-time `code` (for `POST /v1/auth/oauth/token`) or an `error`:
/// `access_denied`, `code_refused`, `invalid_id_token`,
/// `email_not_verified`, `account_exists` (sign in and link the provider
/// from the account), `identity_in_use`, `provider_unavailable`.
#[utoipa::path(
    get,
    path = "/v1/auth/oauth/{provider}/callback",
    operation_id = "oauth_callback",
    tag = "oauth",
    params(("provider" = String, Path, description = "A provider's name"), CallbackParams),
    responses(
        (status = 302, description = "To the app's page, with `code` or `error`"),
        (status = 400, description = "The state is unknown, used or expired", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such provider", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn callback(
    req: HttpRequest,
    state: web::Data<AuthState>,
    provider: web::Path<String>,
    query: web::Query<CallbackParams>,
) -> Result<HttpResponse, ApiError> {
    finish(&req, &state, &provider, &query).await
}

/// The same, for providers that post the answer (`response_mode=form_post`,
/// as Apple does when asked for the email).
#[utoipa::path(
    post,
    path = "/v1/auth/oauth/{provider}/callback",
    operation_id = "oauth_callback_form",
    tag = "oauth",
    params(("provider" = String, Path, description = "A provider's name")),
    request_body(content = CallbackParams, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 302, description = "To the app's page, with `code` or `error`"),
        (status = 400, description = "The state is unknown, used or expired", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such provider", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn callback_form(
    req: HttpRequest,
    state: web::Data<AuthState>,
    provider: web::Path<String>,
    form: web::Form<CallbackParams>,
) -> Result<HttpResponse, ApiError> {
    finish(&req, &state, &provider, &form).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeRequest {
    /// The `code` the app's page was given.
    code: String,
}

/// Trades the landing page's one-time code for Dayone's tokens (or, for an
/// account with a second factor, the MFA challenge). Within two minutes,
/// once.
#[utoipa::path(
    post,
    path = "/v1/auth/oauth/token",
    operation_id = "oauth_token",
    tag = "oauth",
    request_body = ExchangeRequest,
    responses(
        (status = 200, description = "Signed in, or a challenge for the second factor", body = SignIn),
        (status = 400, description = "The code is unknown, used or expired", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "The account is disabled", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn token(
    state: web::Data<AuthState>,
    body: web::Json<ExchangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let signed_in = oauth::exchange(&state, &body.code).await?;
    Ok(HttpResponse::Ok().json(signed_in))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// As for `authorize`.
    redirect_to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LinkStart {
    /// Open it in the browser: the provider's sign-in page; on return the
    /// identity belongs to the caller's account.
    authorize_url: String,
}

/// Links a provider to the caller's account (the way to use a provider
/// whose email an account already has).
#[utoipa::path(
    post,
    path = "/v1/auth/oauth/{provider}/link",
    operation_id = "oauth_link",
    tag = "oauth",
    security(("bearer" = [])),
    params(("provider" = String, Path, description = "A provider's name")),
    request_body = LinkRequest,
    responses(
        (status = 200, description = "Where to send the browser", body = LinkStart),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such provider", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "`redirect_to` is not an allowed page", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn link(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
    provider: web::Path<String>,
    body: web::Json<LinkRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = caller(&state, &auth).await?;
    let url = oauth::authorize(
        &state,
        &provider,
        body.redirect_to.as_deref(),
        None,
        Some(user.id),
    )
    .await?;
    Ok(HttpResponse::Ok().json(LinkStart { authorize_url: url }))
}
