//! Sign-in providers: an OpenID Connect provider per tenant under
//! `/oidc/{tenant}` (discovery, JWKS, authorize, token; ES256 id tokens),
//! and GitHub's OAuth 2.0 apps under `/github` (authorize, access token,
//! `/api/user`, `/api/user/emails`), which has no id token.
//!
//! `authorize` stands for the provider's sign-in page: the test, playing
//! the user, appends who signs in (`fake_sub`, `fake_email`,
//! `fake_email_verified`, default true) and may make the provider
//! misbehave (`fake_iss`, `fake_aud`, `fake_nonce`: an id token for another
//! issuer, audience or sign-in). The provider then redirects to `redirect_uri` with a code
//! and the `state`, as a real one does. The token endpoint checks what a
//! real one checks: the code is known and unused, the redirect URI and
//! client match, the PKCE verifier hashes to the challenge.

use std::collections::HashMap;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hyper::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::Shared;
use crate::http::{Request, Response, json};

const KID: &str = "fake-oidc-1";

/// The provider's signing key, made at start.
pub(crate) struct SigningKey {
    encoding: EncodingKey,
    jwk: Value,
}

impl SigningKey {
    pub(crate) fn generate() -> std::io::Result<Self> {
        let failed = |_| std::io::Error::other("could not make the fake provider's P-256 key");
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(failed)?;
        let pkcs8 = pair.to_pkcs8v1().map_err(failed)?;
        // The public key is the uncompressed point: 0x04 || x || y.
        let point = pair.public_key().as_ref();
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": KID,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        });
        Ok(Self {
            encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
            jwk,
        })
    }
}

/// A code handed out at `authorize`, until it is redeemed.
#[derive(Clone)]
pub(crate) struct Grant {
    provider: String,
    client_id: String,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
    sub: String,
    email: Option<String>,
    email_verified: bool,
    issuer: Option<String>,
    audience: Option<String>,
    used: bool,
}

#[derive(Default)]
pub(crate) struct Providers {
    pub(crate) codes: HashMap<String, Grant>,
    /// GitHub access tokens and whose they are.
    pub(crate) github_tokens: HashMap<String, Grant>,
}

fn base(req: &Request) -> String {
    format!("http://{}", req.header("host").unwrap_or("127.0.0.1"))
}

fn issuer(req: &Request, tenant: &str) -> String {
    format!("{}/oidc/{tenant}", base(req))
}

fn query(req: &Request) -> HashMap<String, String> {
    form_urlencoded::parse(req.query.as_bytes())
        .into_owned()
        .collect()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json(
        status,
        json!({"error": error, "error_description": description}),
    )
}

pub fn discovery(req: &Request, tenant: &str) -> Response {
    let issuer = issuer(req, tenant);
    json(
        StatusCode::OK,
        json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email", "profile"],
        }),
    )
}

pub fn jwks(state: &Shared) -> Response {
    let state = state.lock().unwrap_or_else(|e| e.into_inner());
    json(StatusCode::OK, json!({"keys": [state.oidc_key.jwk]}))
}

/// The sign-in page: redirects back with a code for whoever the test says
/// signed in.
pub fn authorize(state: &Shared, req: &Request, provider: &str, oidc: bool) -> Response {
    let q = query(req);
    let get = |k: &str| q.get(k).cloned().filter(|v| !v.is_empty());
    let (Some(client_id), Some(redirect_uri), Some(state_param)) =
        (get("client_id"), get("redirect_uri"), get("state"))
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id, redirect_uri and state are required",
        );
    };
    if get("response_type").as_deref() != Some("code") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            "code only",
        );
    }
    let Some(challenge) = get("code_challenge") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "PKCE is required",
        );
    };
    if get("code_challenge_method").as_deref() != Some("S256") {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "S256 only");
    }
    if oidc
        && !get("scope")
            .unwrap_or_default()
            .split(' ')
            .any(|s| s == "openid")
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "openid is required",
        );
    }
    let Some(sub) = get("fake_sub") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "login_required",
            "nobody signed in: add fake_sub (and fake_email) to the URL",
        );
    };
    let code = uuid::Uuid::new_v4().simple().to_string();
    let grant = Grant {
        provider: provider.to_owned(),
        client_id,
        redirect_uri: redirect_uri.clone(),
        challenge,
        nonce: get("fake_nonce").or_else(|| get("nonce")),
        sub,
        email: get("fake_email"),
        email_verified: get("fake_email_verified").as_deref() != Some("false"),
        issuer: get("fake_iss"),
        audience: get("fake_aud"),
        used: false,
    };
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    state.providers.codes.insert(code.clone(), grant);
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!(
        "{redirect_uri}{separator}{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("code", &code)
            .append_pair("state", &state_param)
            .finish()
    );
    let mut response = json(StatusCode::FOUND, json!({}));
    if let Ok(value) = hyper::header::HeaderValue::from_str(&location) {
        response
            .headers_mut()
            .insert(hyper::header::LOCATION, value);
    }
    response
}

/// Client credentials from HTTP Basic or the form.
fn client(req: &Request, form: &HashMap<String, String>) -> Option<(String, String)> {
    if let Some(basic) = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Basic "))
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (id, secret) = text.split_once(':')?;
        let id = form_urlencoded::parse(id.as_bytes())
            .map(|(k, _)| k.into_owned())
            .next()?;
        return Some((id, secret.to_owned()));
    }
    Some((
        form.get("client_id")?.clone(),
        form.get("client_secret")?.clone(),
    ))
}

/// Redeems a code once; checks client, redirect URI and PKCE.
fn redeem(state: &Shared, req: &Request, provider: &str) -> Result<Grant, Box<Response>> {
    let form: HashMap<String, String> = req.form().into_iter().collect();
    let bad = |error: &str, why: &str| Box::new(oauth_error(StatusCode::BAD_REQUEST, error, why));
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return Err(bad("unsupported_grant_type", "authorization_code only"));
    }
    let Some((client_id, secret)) = client(req, &form) else {
        return Err(Box::new(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication is required",
        )));
    };
    if secret.is_empty() {
        return Err(Box::new(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "empty secret",
        )));
    }
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    let Some(grant) = form
        .get("code")
        .and_then(|c| state.providers.codes.get_mut(c))
    else {
        return Err(bad("invalid_grant", "unknown code"));
    };
    if grant.used {
        return Err(bad("invalid_grant", "the code was already used"));
    }
    grant.used = true;
    if grant.provider != provider || grant.client_id != client_id {
        return Err(bad(
            "invalid_grant",
            "the code was issued to another client",
        ));
    }
    if form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return Err(bad("invalid_grant", "redirect_uri does not match"));
    }
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge {
        return Err(bad("invalid_grant", "the PKCE verifier does not match"));
    }
    Ok(grant.clone())
}

pub fn token(state: &Shared, req: &Request, tenant: &str) -> Response {
    let grant = match redeem(state, req, tenant) {
        Ok(grant) => grant,
        Err(response) => return *response,
    };
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "iss": grant.issuer.clone().unwrap_or_else(|| issuer(req, tenant)),
        "sub": grant.sub,
        "aud": grant.audience.clone().unwrap_or(grant.client_id.clone()),
        "iat": now,
        "exp": now + 600,
        "email_verified": grant.email_verified,
    });
    if let Some(email) = &grant.email {
        claims["email"] = json!(email);
    }
    if let Some(nonce) = &grant.nonce {
        claims["nonce"] = json!(nonce);
    }
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(KID.into());
    let state = state.lock().unwrap_or_else(|e| e.into_inner());
    match jsonwebtoken::encode(&header, &claims, &state.oidc_key.encoding) {
        Ok(id_token) => json(
            StatusCode::OK,
            json!({
                "access_token": uuid::Uuid::new_v4().simple().to_string(),
                "token_type": "Bearer",
                "expires_in": 3600,
                "id_token": id_token,
            }),
        ),
        Err(e) => oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            &e.to_string(),
        ),
    }
}

/// GitHub answers token errors with a 200 and an `error` field.
pub fn github_token(state: &Shared, req: &Request) -> Response {
    let grant = match redeem(state, req, "github") {
        Ok(grant) => grant,
        Err(_) => {
            return json(
                StatusCode::OK,
                json!({"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}),
            );
        }
    };
    let token = format!("gho_{}", uuid::Uuid::new_v4().simple());
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    state.providers.github_tokens.insert(token.clone(), grant);
    json(
        StatusCode::OK,
        json!({"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"}),
    )
}

fn github_user(state: &Shared, req: &Request) -> Option<Grant> {
    let header = req.header("authorization")?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("token "))?;
    let state = state.lock().unwrap_or_else(|e| e.into_inner());
    state.providers.github_tokens.get(token).cloned()
}

pub fn github_api(state: &Shared, req: &Request, what: &str) -> Response {
    let Some(grant) = github_user(state, req) else {
        return json(
            StatusCode::UNAUTHORIZED,
            json!({"message": "Bad credentials", "status": "401"}),
        );
    };
    let id: u64 = grant.sub.parse().unwrap_or(0);
    match what {
        "user" => json(
            StatusCode::OK,
            json!({"id": id, "login": format!("user{id}"), "name": "Octo Cat", "email": null}),
        ),
        _ => json(
            StatusCode::OK,
            json!(grant.email.iter().map(|email| json!({
                "email": email, "primary": true, "verified": grant.email_verified, "visibility": "private"
            })).collect::<Vec<_>>()),
        ),
    }
}
