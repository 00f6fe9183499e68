use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use super::{ADMIN, RevocationList, TokenError, TokenVerifier};
use crate::ServiceInfo;
use crate::error::{ApiError, ErrorCode};

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

    /// Whether the caller may act on something `owner` owns.
    pub fn can_act_for(&self, owner: Uuid) -> bool {
        self.user_uuid == owner || self.is_admin()
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidToken, message)
}

impl FromRequest for AuthenticatedUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verifier = req.app_data::<web::Data<TokenVerifier>>().cloned();
        let revocations = req.app_data::<web::Data<RevocationList>>().cloned();
        let service = req
            .app_data::<web::Data<ServiceInfo>>()
            .map_or("unknown", |info| info.name);
        let header = req
            .headers()
            .get(AUTHORIZATION)
            .map(|v| v.to_str().map(str::to_owned));
        Box::pin(async move {
            let (Some(verifier), Some(revocations)) = (verifier, revocations) else {
                return Err(ApiError::internal(anyhow::anyhow!(
                    "TokenVerifier or RevocationList missing from app data"
                )));
            };
            let header = match header {
                None => return Err(ApiError::unauthorized("missing bearer token")),
                Some(Err(_)) => return Err(invalid("the Authorization header is not text")),
                Some(Ok(h)) => h,
            };
            let token = match header.split_once(' ') {
                Some((scheme, token))
                    if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
                {
                    token.trim().to_owned()
                }
                _ => return Err(invalid("expected `Authorization: Bearer <token>`")),
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
            Ok(Self {
                user_uuid: claims.sub,
                session_uuid: claims.sid,
                roles: claims.roles,
                token_id: claims.jti,
                expires_at: claims.exp,
                service,
            })
        })
    }
}
