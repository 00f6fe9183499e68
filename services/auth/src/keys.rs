//! The signing key and the JWKS published from it.

use anyhow::{Context, bail};
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use dayone_web::auth::{Claims, ed25519_jwk};
use dayone_web::settings::strip_dev_marker;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::ExposeSecret;

use crate::settings::AuthSettings;

pub struct SigningKeys {
    kid: String,
    encoding: EncodingKey,
    jwks: JwkSet,
}

impl SigningKeys {
    pub fn from_settings(settings: &AuthSettings) -> anyhow::Result<Self> {
        let der = pkcs8_der(settings.signing_key.expose_secret())
            .context("auth.signing_key is not an Ed25519 PKCS#8 key (PEM or base64 DER)")?;
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .map_err(|e| anyhow::anyhow!("auth.signing_key was rejected: {e}"))?;
        let x = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
        let mut keys = vec![ed25519_jwk(&settings.signing_key_id, &x)];
        for previous in &settings.previous_keys {
            let Some((kid, x)) = previous.split_once(':') else {
                bail!("auth.previous_keys entries are `kid:x`, not `{previous}`");
            };
            if kid == settings.signing_key_id {
                bail!("auth.previous_keys repeats the current kid {kid}");
            }
            let public = URL_SAFE_NO_PAD
                .decode(x)
                .with_context(|| format!("auth.previous_keys: `{kid}` has no base64url key"))?;
            if public.len() != 32 {
                bail!("auth.previous_keys: `{kid}` is not a 32-byte Ed25519 public key");
            }
            keys.push(ed25519_jwk(kid, x));
        }
        Ok(Self {
            kid: settings.signing_key_id.clone(),
            encoding: EncodingKey::from_ed_der(&der),
            jwks: JwkSet { keys },
        })
    }

    /// The public keys: the current one first, then those still accepted.
    pub fn jwks(&self) -> &JwkSet {
        &self.jwks
    }

    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &self.encoding)?)
    }
}

/// PEM (`-----BEGIN PRIVATE KEY-----`) or base64 DER, with the development
/// prefix (if any) removed.
fn pkcs8_der(value: &str) -> anyhow::Result<Vec<u8>> {
    let value = strip_dev_marker(value.trim()).trim();
    if value.starts_with("-----BEGIN") {
        let body: String = value.lines().filter(|l| !l.starts_with("-----")).collect();
        return Ok(STANDARD.decode(body.trim())?);
    }
    Ok(STANDARD.decode(value)?)
}
