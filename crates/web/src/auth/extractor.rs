use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use super::api_keys::{self, KEY_PREFIX, KeyError, PresentedKey};
use super::{ADMIN, AMR_MFA, AMR_PASSKEY, RevocationList, TokenError, TokenVerifier};
use crate::error::{ApiError, ErrorCode};
use crate::{Dependencies, ServiceInfo};

/// The caller of a request, from a valid, unrevoked access token. Taking it
/// as a handler argument makes the route require authentication: without a
/// usable token the request ends in a 401 with `WWW-Authenticate: Bearer`.
#[derive(Debug, Clone)]
pub struct AuthenticatedUser {
    pub user_uuid: Uuid,
    pub session_uuid: Uuid,
    pub roles: Vec<String>,
    pub token_id: Uuid,
    /// Unix time the token expires.
    pub expires_at: i64,
    /// The service the request came to (what the caller did, it did there).
    pub service: &'static str,
    /// How the session was signed in (the token's `amr`).
    pub amr: Vec<String>,
}

impl AuthenticatedUser {
    pub fn is_admin(&self) -> bool {
        self.roles.iter().any(|r| r == ADMIN)
    }

    /// 403 unless the caller is an admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden("this needs the admin role"))
        }
    }

    /// 403 unless the session was signed in with a second factor: a TOTP
    /// code (`otp`) or a passkey (`hwk`).
    pub fn require_mfa(&self) -> Result<(), ApiError> {
        if self.amr.iter().any(|m| m == AMR_MFA || m == AMR_PASSKEY) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "this needs a session signed in with a second factor",
            ))
        }
    }

    /// Whether the caller may act on something `owner` owns.
    pub fn can_act_for(&self, owner: Uuid) -> bool {
        self.user_uuid == owner || self.is_admin()
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidToken, message)
}

/// The bearer credential of a request: an access token or an API key.
fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let header = match req.headers().get(AUTHORIZATION).map(|v| v.to_str()) {
        None => return Err(ApiError::unauthorized("missing bearer token")),
        Some(Err(_)) => return Err(invalid("the Authorization header is not text")),
        Some(Ok(h)) => h,
    };
    match header.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        _ => Err(invalid("expected `Authorization: Bearer <token>`")),
    }
}

fn service_of(req: &HttpRequest) -> &'static str {
    req.app_data::<web::Data<ServiceInfo>>()
        .map_or("unknown", |info| info.name)
}

/// Checks an access token: what [`AuthenticatedUser`] and [`Caller`] share.
fn user_from(
    req: &HttpRequest,
    token: String,
) -> LocalBoxFuture<'static, Result<AuthenticatedUser, ApiError>> {
    let verifier = req.app_data::<web::Data<TokenVerifier>>().cloned();
    let revocations = req.app_data::<web::Data<RevocationList>>().cloned();
    let service = service_of(req);
    Box::pin(async move {
        let (Some(verifier), Some(revocations)) = (verifier, revocations) else {
            return Err(ApiError::internal(anyhow::anyhow!(
                "TokenVerifier or RevocationList missing from app data"
            )));
        };
        let claims = verifier.verify(&token).await.map_err(|e| match e {
            TokenError::KeysUnavailable => {
                ApiError::unavailable("token verification", anyhow::anyhow!(e))
            }
            other => invalid(other.to_string()),
        })?;
        if revocations.is_revoked(&claims.sid) {
            return Err(invalid("the session was revoked"));
        }
        tracing::Span::current().record("user_id", tracing::field::display(claims.sub));
        dayone_telemetry::RequestContext::set_current_user(claims.sub);
        Ok(AuthenticatedUser {
            user_uuid: claims.sub,
            session_uuid: claims.sid,
            roles: claims.roles,
            token_id: claims.jti,
            expires_at: claims.exp,
            service,
            amr: claims.amr,
        })
    })
}

impl FromRequest for AuthenticatedUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        match bearer(req) {
            Err(e) => Box::pin(async move { Err(e) }),
            // A key is no one's account: routes for a user's own things
            // (their orders, their sessions) never take one.
            Ok(token) if token.starts_with(KEY_PREFIX) => Box::pin(async move {
                Err(ApiError::forbidden(
                    "this route takes a user's access token, not an API key",
                ))
            }),
            Ok(token) => user_from(req, token),
        }
    }
}

/// An API key's caller, checked against its grant.
#[derive(Debug, Clone)]
pub struct KeyCaller {
    pub key_uuid: Uuid,
    pub name: String,
    pub scopes: Vec<String>,
    pub service: &'static str,
}

/// The caller of a route that also takes API keys: a user's access token
/// or a key. [`Caller::require`] names the scope the route needs.
#[derive(Debug, Clone)]
pub enum Caller {
    User(AuthenticatedUser),
    Key(KeyCaller),
}

impl Caller {
    /// 403 unless the caller is an admin or a key granted `scope`.
    pub fn require(&self, scope: &str) -> Result<(), ApiError> {
        match self {
            Self::User(user) => user.require_admin(),
            Self::Key(key) if key.scopes.iter().any(|s| s == scope) => Ok(()),
            Self::Key(_) => Err(ApiError::forbidden(format!(
                "this API key lacks the `{scope}` scope"
            ))),
        }
    }

    /// The user, or the key (its id stands for it in records).
    pub fn uuid(&self) -> Uuid {
        match self {
            Self::User(user) => user.user_uuid,
            Self::Key(key) => key.key_uuid,
        }
    }

    pub fn user(&self) -> Option<&AuthenticatedUser> {
        match self {
            Self::User(user) => Some(user),
            Self::Key(_) => None,
        }
    }

    pub fn service(&self) -> &'static str {
        match self {
            Self::User(user) => user.service,
            Self::Key(key) => key.service,
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = match bearer(req) {
            Err(e) => return Box::pin(async move { Err(e) }),
            Ok(token) => token,
        };
        if !token.starts_with(KEY_PREFIX) {
            let user = user_from(req, token);
            return Box::pin(async move { user.await.map(Self::User) });
        }
        let deps = req.app_data::<web::Data<Dependencies>>().cloned();
        let service = service_of(req);
        Box::pin(async move {
            let Some(deps) = deps else {
                return Err(ApiError::internal(anyhow::anyhow!(
                    "Dependencies missing from app data"
                )));
            };
            let presented =
                PresentedKey::parse(&token).ok_or_else(|| invalid("the API key is malformed"))?;
            let grant = api_keys::check(&deps.redis, &presented)
                .await
                .map_err(|e| match e {
                    KeyError::Unavailable => {
                        ApiError::unavailable("API key verification", anyhow::anyhow!(e))
                    }
                    KeyError::Invalid => invalid(e.to_string()),
                })?;
            tracing::Span::current().record("user_id", tracing::field::display(grant.key_uuid));
            Ok(Self::Key(KeyCaller {
                key_uuid: grant.key_uuid,
                name: grant.name,
                scopes: grant.scopes,
                service,
            }))
        })
    }
}
