//! Console sessions. An admin signs in with their Dayone account through
//! auth's login API; the console keeps the tokens in Redis (so any replica
//! serves any page) under a random id that only the browser holds, in an
//! HttpOnly, SameSite=Strict cookie (Secure over TLS). Every form carries
//! the session's CSRF token; the sign-in form, before any session, a
//! double-submitted one.

use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use dayone_web::auth::{RevocationList, TokenVerifier};
use dayone_web::redis::Redis;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The session cookie.
pub const COOKIE: &str = "dayone_console";
/// The sign-in form's CSRF cookie.
pub const SIGN_IN_COOKIE: &str = "dayone_console_signin";
/// Cookies are sent only to the console.
const PATH: &str = "/console";

/// Who is signed in to the console.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Admin {
    pub uuid: Uuid,
    pub email: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub admin: Admin,
    /// Every state-changing form must send it back.
    pub csrf: String,
    pub access_token: String,
    pub refresh_token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the email or password is wrong")]
    WrongCredentials,
    #[error("too many failed sign-ins; try again later")]
    Throttled,
    #[error("only admins may use the console")]
    NotAdmin,
    #[error("auth could not be reached: {0}")]
    Unavailable(String),
    #[error("the session store: {0}")]
    Store(#[from] redis::RedisError),
}

/// A random token of 244 bits (two v4 UUIDs' random bits), URL-safe.
pub fn random_token() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

fn key(redis: &Redis, id: &str) -> String {
    // Redis holds a hash of the id, so its contents alone sign no one in.
    let digest = Sha256::digest(id.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    redis.key(&format!("console:session:{hex}"))
}

#[derive(Deserialize)]
struct Tokens {
    access_token: String,
    refresh_token: String,
}

/// Signs `email` in through auth's login API at `api_url`; only an admin
/// gets a session. The session's id (for the cookie) and the session.
pub async fn sign_in(
    http: &reqwest::Client,
    api_url: &str,
    verifier: &TokenVerifier,
    redis: &Redis,
    ttl: Duration,
    email: &str,
    password: &str,
) -> Result<(String, Session), SignInError> {
    let response = http
        .post(format!("{api_url}/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .map_err(|e| SignInError::Unavailable(e.to_string()))?;
    match response.status().as_u16() {
        200 => {}
        401 | 422 => return Err(SignInError::WrongCredentials),
        429 => return Err(SignInError::Throttled),
        status => return Err(SignInError::Unavailable(format!("auth answered {status}"))),
    }
    let tokens: Tokens = response
        .json()
        .await
        .map_err(|e| SignInError::Unavailable(e.to_string()))?;
    let claims = verifier
        .verify(&tokens.access_token)
        .await
        .map_err(|e| SignInError::Unavailable(e.to_string()))?;
    if !claims.roles.iter().any(|r| r == dayone_web::auth::ADMIN) {
        // Not ours to keep: end the session auth just opened.
        let _ = http
            .post(format!("{api_url}/v1/auth/logout"))
            .bearer_auth(&tokens.access_token)
            .send()
            .await;
        return Err(SignInError::NotAdmin);
    }
    let session = Session {
        admin: Admin {
            uuid: claims.sub,
            email: email.to_owned(),
        },
        csrf: random_token(),
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
    };
    let id = random_token();
    let json = serde_json::to_string(&session).unwrap_or_default();
    let mut conn = redis.connection();
    let _: () = conn.set_ex(key(redis, &id), json, ttl.as_secs()).await?;
    Ok((id, session))
}

/// The session the request's cookie names, if it is still open.
pub async fn current(
    redis: &Redis,
    req: &HttpRequest,
) -> Result<Option<Session>, redis::RedisError> {
    let Some(cookie) = req.cookie(COOKIE) else {
        return Ok(None);
    };
    let mut conn = redis.connection();
    let json: Option<String> = conn.get(key(redis, cookie.value())).await?;
    Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
}

/// How long before its expiry an access token is refreshed.
const REFRESH_AHEAD_SECS: i64 = 30;

/// The request's session with an access token good for a while yet:
/// refreshed through the login API when it is about to expire (the session
/// saved with the new pair). `None` when there is no session, or auth no
/// longer honours it (signed out elsewhere, revoked, no longer an admin):
/// then it is ended here too.
pub async fn current_fresh(
    http: &reqwest::Client,
    api_url: &str,
    verifier: &TokenVerifier,
    revocations: &RevocationList,
    redis: &Redis,
    req: &HttpRequest,
) -> Result<Option<Session>, SignInError> {
    let Some(mut session) = current(redis, req).await? else {
        return Ok(None);
    };
    let now = chrono::Utc::now().timestamp();
    if let Ok(claims) = verifier.verify(&session.access_token).await {
        // Signed out elsewhere, disabled, or ended by another admin: the
        // broadcast reached this replica, and the console session ends now
        // rather than at the next refresh.
        if revocations.is_revoked(&claims.sid) {
            end(redis, req).await?;
            return Ok(None);
        }
        if claims.exp - now > REFRESH_AHEAD_SECS {
            return Ok(Some(session));
        }
    }
    let response = http
        .post(format!("{api_url}/v1/auth/refresh"))
        .json(&serde_json::json!({"refresh_token": session.refresh_token}))
        .send()
        .await
        .map_err(|e| SignInError::Unavailable(e.to_string()))?;
    let status = response.status().as_u16();
    if status != 200 {
        if status == 401 || status == 422 {
            end(redis, req).await?;
            return Ok(None);
        }
        return Err(SignInError::Unavailable(format!("auth answered {status}")));
    }
    let tokens: Tokens = response
        .json()
        .await
        .map_err(|e| SignInError::Unavailable(e.to_string()))?;
    let still_admin = verifier
        .verify(&tokens.access_token)
        .await
        .is_ok_and(|claims| claims.roles.iter().any(|r| r == dayone_web::auth::ADMIN));
    if !still_admin {
        end(redis, req).await?;
        return Ok(None);
    }
    session.access_token = tokens.access_token;
    session.refresh_token = tokens.refresh_token;
    if let Some(cookie) = req.cookie(COOKIE) {
        let json = serde_json::to_string(&session).unwrap_or_default();
        let mut conn = redis.connection();
        let _: () = redis::cmd("SET")
            .arg(key(redis, cookie.value()))
            .arg(json)
            .arg("KEEPTTL")
            .query_async(&mut conn)
            .await?;
    }
    Ok(Some(session))
}

/// Forgets the request's session here.
async fn end(redis: &Redis, req: &HttpRequest) -> Result<(), redis::RedisError> {
    if let Some(cookie) = req.cookie(COOKIE) {
        let mut conn = redis.connection();
        let _: () = conn.del(key(redis, cookie.value())).await?;
    }
    Ok(())
}

/// Ends the request's session here and at auth.
pub async fn sign_out(
    http: &reqwest::Client,
    api_url: &str,
    redis: &Redis,
    req: &HttpRequest,
    session: &Session,
) -> Result<(), redis::RedisError> {
    end(redis, req).await?;
    let _ = http
        .post(format!("{api_url}/v1/auth/logout"))
        .bearer_auth(&session.access_token)
        .send()
        .await;
    Ok(())
}

/// A console cookie: HttpOnly, SameSite=Strict, Secure when the browser
/// came over TLS; `max_age` None removes it.
pub fn cookie(
    req: &HttpRequest,
    name: &'static str,
    value: String,
    max_age: Option<Duration>,
) -> Cookie<'static> {
    let secure = req.connection_info().scheme() == "https";
    let mut cookie = Cookie::build(name, value)
        .path(PATH)
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish();
    match max_age {
        Some(age) => cookie.set_max_age(actix_web::cookie::time::Duration::seconds(
            age.as_secs() as i64
        )),
        None => cookie.make_removal(),
    }
    cookie
}
