use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use tokio::sync::Mutex;

use super::{Claims, TokenSettings};

/// An unknown `kid` fetches the JWKS again at most this often, so a flood
/// of forged tokens cannot turn into a flood of requests to auth.
const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(5);

/// Most tokens remembered as verified; when full it starts again empty.
const VERIFIED_CAPACITY: usize = 10_000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token must be signed with EdDSA")]
    WrongAlgorithm,
    #[error("the token was signed with an unknown key")]
    UnknownKey,
    #[error("the token has expired")]
    Expired,
    #[error("the token claims to be issued in the future")]
    IssuedInFuture,
    #[error("the token is valid for longer than tokens may be")]
    LifetimeTooLong,
    #[error("the token is not meant for this audience")]
    WrongAudience,
    #[error("the token was not issued by the expected issuer")]
    WrongIssuer,
    #[error("the token's signature is invalid")]
    BadSignature,
    #[error("the signing keys are unavailable")]
    KeysUnavailable,
}

/// Verifies access tokens against a set of Ed25519 public keys.
pub struct TokenVerifier {
    settings: TokenSettings,
    keys: RwLock<HashMap<String, DecodingKey>>,
    /// Tokens whose signature, algorithm, issuer and audience were checked,
    /// by their exact text (a client sends the same token for up to 15
    /// minutes): the signature check is most of a token-checked request's
    /// CPU. Only expiry, which changes with time, is checked again. Emptied
    /// whenever the keys change, so a withdrawn key's tokens go at once.
    verified: RwLock<HashMap<Box<str>, Claims>>,
    /// `None`: the keys were given (the auth service itself).
    remote: Option<Remote>,
}

struct Remote {
    client: reqwest::Client,
    /// The last attempt to fetch, successful or not (the rate limit).
    last_fetch: Mutex<Option<Instant>>,
    /// When the keys in use were fetched.
    fetched_at: RwLock<Option<Instant>>,
}

impl TokenVerifier {
    /// Keys from `settings.jwks_url`, fetched on first use.
    pub fn remote(settings: TokenSettings) -> Self {
        Self {
            settings,
            keys: RwLock::new(HashMap::new()),
            verified: RwLock::new(HashMap::new()),
            remote: Some(Remote {
                client: reqwest::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .unwrap_or_default(),
                last_fetch: Mutex::new(None),
                fetched_at: RwLock::new(None),
            }),
        }
    }

    /// Fixed keys (the auth service verifies with its own).
    pub fn with_keys(settings: TokenSettings, jwks: &JwkSet) -> Self {
        Self {
            settings,
            keys: RwLock::new(ed25519_keys(jwks)),
            verified: RwLock::new(HashMap::new()),
            remote: None,
        }
    }

    pub fn settings(&self) -> &TokenSettings {
        &self.settings
    }

    /// Checks signature, algorithm, issuer, audience, expiry, that `iat` is
    /// not in the future and that the lifetime is within the maximum.
    pub async fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        self.refresh_if_stale().await;
        let known = self
            .verified
            .read()
            .ok()
            .and_then(|verified| verified.get(token).cloned());
        if let Some(claims) = known {
            let now = jsonwebtoken::get_current_timestamp();
            if claims.exp.saturating_add(self.settings.leeway_secs as i64) < now as i64 {
                return Err(TokenError::Expired);
            }
            return Ok(claims);
        }
        let claims = self.verify_signed(token).await?;
        if let Ok(mut verified) = self.verified.write() {
            if verified.len() >= VERIFIED_CAPACITY {
                verified.clear();
            }
            verified.insert(token.into(), claims.clone());
        }
        Ok(claims)
    }

    async fn verify_signed(&self, token: &str) -> Result<Claims, TokenError> {
        let header = decode_header(token).map_err(|_| TokenError::Malformed)?;
        // Only EdDSA: refuses `alg: none` and HS256 signed with a public key.
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::WrongAlgorithm);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = match self.key(&kid) {
            Some(key) => key,
            None => {
                self.refresh().await?;
                self.key(&kid).ok_or(TokenError::UnknownKey)?
            }
        };
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = self.settings.leeway_secs;
        validation.set_audience(&[&self.settings.audience]);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "aud", "iss"]);
        let claims = decode::<Claims>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                match e.kind() {
                    ErrorKind::ExpiredSignature => TokenError::Expired,
                    ErrorKind::InvalidAudience => TokenError::WrongAudience,
                    ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
                    ErrorKind::InvalidSignature => TokenError::BadSignature,
                    ErrorKind::InvalidAlgorithm => TokenError::WrongAlgorithm,
                    _ => TokenError::Malformed,
                }
            })?;
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let leeway = self.settings.leeway_secs as i64;
        if claims.iat > now.saturating_add(leeway) {
            return Err(TokenError::IssuedInFuture);
        }
        if claims.exp.saturating_sub(claims.iat) > self.settings.max_lifetime_secs as i64 {
            return Err(TokenError::LifetimeTooLong);
        }
        Ok(claims)
    }

    fn key(&self, kid: &str) -> Option<DecodingKey> {
        self.keys.read().ok()?.get(kid).cloned()
    }

    fn max_age(&self) -> Duration {
        Duration::from_secs(self.settings.keys_max_age_secs.max(1))
    }

    /// Fetches the keys again once they are older than `keys_max_age_secs`.
    /// One request does it while the others go on with the keys in hand;
    /// when auth cannot be reached those stay in use (refusing every
    /// token would turn an auth outage into an outage of every service).
    async fn refresh_if_stale(&self) {
        let Some(remote) = &self.remote else {
            return;
        };
        let stale = remote
            .fetched_at
            .read()
            .ok()
            .and_then(|at| *at)
            .is_some_and(|at| at.elapsed() >= self.max_age());
        if !stale {
            return; // fresh, or never fetched: an unknown `kid` fetches
        }
        if let Ok(last) = remote.last_fetch.try_lock()
            && let Err(error) = self.fetch(remote, last).await
        {
            tracing::warn!(%error, "the JWKS could not be refreshed; the keys in hand stay in use");
        }
    }

    async fn refresh(&self) -> Result<(), TokenError> {
        let Some(remote) = &self.remote else {
            return Err(TokenError::UnknownKey);
        };
        let last = remote.last_fetch.lock().await;
        self.fetch(remote, last).await
    }

    async fn fetch(
        &self,
        remote: &Remote,
        mut last: tokio::sync::MutexGuard<'_, Option<Instant>>,
    ) -> Result<(), TokenError> {
        if last.is_some_and(|t| t.elapsed() < MIN_REFRESH_INTERVAL.min(self.max_age())) {
            return Ok(()); // fetched just now: the key really is unknown
        }
        *last = Some(Instant::now());
        let jwks: JwkSet = remote
            .client
            .get(&self.settings.jwks_url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| {
                tracing::warn!(error = %e, url = %self.settings.jwks_url, "JWKS fetch failed");
                TokenError::KeysUnavailable
            })?
            .json()
            .await
            .map_err(|_| TokenError::KeysUnavailable)?;
        let keys = ed25519_keys(&jwks);
        tracing::debug!(keys = keys.len(), "JWKS refreshed");
        if let Ok(mut current) = self.keys.write() {
            *current = keys;
        }
        if let Ok(mut at) = remote.fetched_at.write() {
            *at = Some(Instant::now());
        }
        if let Ok(mut verified) = self.verified.write() {
            verified.clear();
        }
        Ok(())
    }
}

/// The Ed25519 keys of a JWKS by `kid`; any other kind of key is ignored, so
/// a JWKS can never smuggle in, say, an HMAC secret.
fn ed25519_keys(jwks: &JwkSet) -> HashMap<String, DecodingKey> {
    jwks.keys
        .iter()
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            match &jwk.algorithm {
                AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
                    DecodingKey::from_ed_components(&okp.x)
                        .ok()
                        .map(|key| (kid, key))
                }
                _ => None,
            }
        })
        .collect()
}

/// The public JWK of an Ed25519 key (`x` is the base64url public key).
pub fn ed25519_jwk(kid: &str, x: &str) -> Jwk {
    Jwk {
        common: CommonParameters {
            public_key_use: Some(PublicKeyUse::Signature),
            key_algorithm: Some(KeyAlgorithm::EdDSA),
            key_id: Some(kid.to_owned()),
            ..Default::default()
        },
        algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
            key_type: OctetKeyPairType::OctetKeyPair,
            curve: EllipticCurve::Ed25519,
            x: x.to_owned(),
        }),
    }
}
