//! The providers' HTTP sides: OIDC discovery, the authorization URL, the
//! code exchange (with the PKCE verifier), the id token's checks, and
//! GitHub's API for accounts that have no id token.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use secrecy::ExposeSecret;
use serde::Deserialize;
use tokio::sync::RwLock;

use crate::settings::{ProviderKind, ProviderSettings};

/// Who signed in, as the provider tells it.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: String,
    pub email: Option<String>,
    /// The provider says it checked the email belongs to this person.
    pub email_verified: bool,
}

/// Why a sign-in with a provider failed (the reason goes in the log; the
/// app is told a code).
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("the provider could not be reached or answered badly: {0}")]
    Unavailable(String),
    #[error("the provider refused the code: {0}")]
    CodeRefused(String),
    #[error("the id token is not valid: {0}")]
    BadIdToken(String),
}

impl ProviderError {
    /// What the app's page is told in `?error=`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => "provider_unavailable",
            Self::CodeRefused(_) => "code_refused",
            Self::BadIdToken(_) => "invalid_id_token",
        }
    }
}

fn unavailable(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::Unavailable(e.to_string())
}

#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

/// The discovery document and keys of an issuer, fetched when first needed
/// and again for an unknown `kid` (at most every 30 s) or after an hour.
#[derive(Default)]
struct Cache {
    discovery: Option<(Discovery, Instant)>,
    keys: HashMap<String, Jwk>,
    keys_fetched: Option<Instant>,
}

const DISCOVERY_MAX_AGE: Duration = Duration::from_secs(3600);
const KEYS_MIN_INTERVAL: Duration = Duration::from_secs(30);

/// One configured provider.
pub struct Provider {
    pub name: String,
    settings: ProviderSettings,
    http: reqwest::Client,
    cache: RwLock<Cache>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    id_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct IdClaims {
    sub: String,
    nonce: Option<String>,
    email: Option<String>,
    /// A boolean, or (Apple) the string "true".
    email_verified: Option<serde_json::Value>,
}

/// The algorithms an id token may be signed with: asymmetric ones only (an
/// HMAC "signature" made with the client secret proves nothing about the
/// provider, and `none` nothing at all).
const ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

impl Provider {
    pub fn new(name: &str, settings: ProviderSettings) -> anyhow::Result<Self> {
        if settings.kind == ProviderKind::Oidc {
            anyhow::ensure!(
                settings.issuer.starts_with("https://") || settings.issuer.starts_with("http://"),
                "auth.oauth.providers.{name}.issuer must be the issuer's URL"
            );
        }
        anyhow::ensure!(
            !settings.client_id.is_empty(),
            "auth.oauth.providers.{name}.client_id is required"
        );
        anyhow::ensure!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "auth.oauth.providers: `{name}` must be lowercase letters, digits and dashes"
        );
        Ok(Self {
            name: name.to_owned(),
            settings,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .user_agent("dayone-auth")
                .build()?,
            cache: RwLock::new(Cache::default()),
        })
    }

    pub fn kind(&self) -> ProviderKind {
        self.settings.kind
    }

    fn scope(&self) -> &str {
        match (self.settings.scope.is_empty(), self.settings.kind) {
            (false, _) => &self.settings.scope,
            (true, ProviderKind::Oidc) => "openid email profile",
            (true, ProviderKind::Github) => "read:user user:email",
        }
    }

    fn github_web(&self) -> &str {
        match self.settings.web_url.as_str() {
            "" => "https://github.com",
            url => url.trim_end_matches('/'),
        }
    }

    fn github_api(&self) -> &str {
        match self.settings.api_url.as_str() {
            "" => "https://api.github.com",
            url => url.trim_end_matches('/'),
        }
    }

    async fn discovery(&self) -> Result<Discovery, ProviderError> {
        if let Some((d, at)) = &self.cache.read().await.discovery
            && at.elapsed() < DISCOVERY_MAX_AGE
        {
            return Ok(d.clone());
        }
        let issuer = self.settings.issuer.trim_end_matches('/');
        let url = format!("{issuer}/.well-known/openid-configuration");
        let discovery: Discovery = self
            .http
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)?;
        // The document must be the configured issuer's own (OIDC
        // Discovery 4.3): otherwise its keys vouch for someone else.
        if discovery.issuer.trim_end_matches('/') != issuer {
            return Err(ProviderError::Unavailable(format!(
                "the discovery document names issuer {}, not {issuer}",
                discovery.issuer
            )));
        }
        self.cache.write().await.discovery = Some((discovery.clone(), Instant::now()));
        Ok(discovery)
    }

    /// The provider's sign-in page for this attempt.
    pub async fn authorize_url(
        &self,
        redirect_uri: &str,
        state: &str,
        nonce: &str,
        challenge: &str,
        login_hint: Option<&str>,
    ) -> Result<String, ProviderError> {
        let endpoint = match self.settings.kind {
            ProviderKind::Oidc => self.discovery().await?.authorization_endpoint,
            ProviderKind::Github => format!("{}/login/oauth/authorize", self.github_web()),
        };
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", self.scope())
            .append_pair("state", state)
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "S256");
        if self.settings.kind == ProviderKind::Oidc {
            query.append_pair("nonce", nonce);
        }
        if let Some(hint) = login_hint {
            query.append_pair("login_hint", hint);
        }
        let separator = if endpoint.contains('?') { '&' } else { '?' };
        Ok(format!("{endpoint}{separator}{}", query.finish()))
    }

    /// Trades the code for who signed in.
    pub async fn identity(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<Identity, ProviderError> {
        let token_url = match self.settings.kind {
            ProviderKind::Oidc => self.discovery().await?.token_endpoint,
            ProviderKind::Github => format!("{}/login/oauth/access_token", self.github_web()),
        };
        let answer: TokenAnswer = self
            .http
            .post(&token_url)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", verifier),
                ("client_id", &self.settings.client_id),
                ("client_secret", self.settings.client_secret.expose_secret()),
            ])
            .send()
            .await
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)?;
        if let Some(error) = answer.error {
            let why = answer.error_description.unwrap_or_default();
            return Err(ProviderError::CodeRefused(format!("{error}: {why}")));
        }
        match self.settings.kind {
            ProviderKind::Oidc => {
                let id_token = answer
                    .id_token
                    .ok_or_else(|| ProviderError::BadIdToken("no id_token in the answer".into()))?;
                self.check_id_token(&id_token, nonce).await
            }
            ProviderKind::Github => {
                let token = answer
                    .access_token
                    .ok_or_else(|| ProviderError::CodeRefused("no access_token".into()))?;
                self.github_identity(&token).await
            }
        }
    }

    /// Signature (the issuer's JWKS), issuer, audience, expiry and nonce.
    async fn check_id_token(&self, id_token: &str, nonce: &str) -> Result<Identity, ProviderError> {
        let bad = |why: String| ProviderError::BadIdToken(why);
        let header = decode_header(id_token).map_err(|e| bad(e.to_string()))?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(bad(format!(
                "{:?} is not an accepted algorithm",
                header.alg
            )));
        }
        let kid = header.kid.unwrap_or_default();
        let discovery = self.discovery().await?;
        let jwk = self.key(&discovery, &kid).await?;
        let key = DecodingKey::from_jwk(&jwk).map_err(|e| bad(format!("key {kid}: {e}")))?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = 60;
        validation.set_issuer(&[&discovery.issuer]);
        validation.set_audience(&[&self.settings.client_id]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        let claims = decode::<IdClaims>(id_token, &key, &validation)
            .map_err(|e| bad(e.to_string()))?
            .claims;
        if claims.nonce.as_deref() != Some(nonce) {
            return Err(bad("the nonce is not this sign-in's".into()));
        }
        let email_verified = match claims.email_verified {
            Some(serde_json::Value::Bool(b)) => b,
            Some(serde_json::Value::String(s)) => s == "true",
            _ => false,
        };
        Ok(Identity {
            subject: claims.sub,
            email: claims.email.map(|e| e.trim().to_lowercase()),
            email_verified,
        })
    }

    /// The issuer's key `kid`, fetching the JWKS again when it is unknown.
    async fn key(&self, discovery: &Discovery, kid: &str) -> Result<Jwk, ProviderError> {
        if let Some(jwk) = self.cache.read().await.keys.get(kid) {
            return Ok(jwk.clone());
        }
        let mut cache = self.cache.write().await;
        if cache
            .keys_fetched
            .is_none_or(|at| at.elapsed() >= KEYS_MIN_INTERVAL)
        {
            let set: JwkSet = self
                .http
                .get(&discovery.jwks_uri)
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(unavailable)?
                .json()
                .await
                .map_err(unavailable)?;
            cache.keys = set
                .keys
                .into_iter()
                .filter_map(|k| Some((k.common.key_id.clone()?, k)))
                .collect();
            cache.keys_fetched = Some(Instant::now());
        }
        cache.keys.get(kid).cloned().ok_or_else(|| {
            ProviderError::BadIdToken(format!("no key `{kid}` in the issuer's JWKS"))
        })
    }

    async fn github_get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: &str,
    ) -> Result<T, ProviderError> {
        self.http
            .get(format!("{}{path}", self.github_api()))
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, "application/vnd.github+json")
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)
    }

    /// GitHub's user id, and its primary email if GitHub verified it.
    async fn github_identity(&self, token: &str) -> Result<Identity, ProviderError> {
        #[derive(Deserialize)]
        struct User {
            id: u64,
        }
        #[derive(Deserialize)]
        struct Email {
            email: String,
            primary: bool,
            verified: bool,
        }
        let user: User = self.github_get("/user", token).await?;
        let emails: Vec<Email> = self.github_get("/user/emails", token).await?;
        let primary = emails.into_iter().find(|e| e.primary);
        Ok(Identity {
            subject: user.id.to_string(),
            email_verified: primary.as_ref().is_some_and(|e| e.verified),
            email: primary.map(|e| e.email.trim().to_lowercase()),
        })
    }
}
