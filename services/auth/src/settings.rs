use dayone_web::{CommonSettings, ServiceSettings};
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub common: CommonSettings,
    pub auth: AuthSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// bcrypt work factor for new hashes (12 ≈ 200 ms on these machines); a
    /// hash made with another cost is re-made on the next successful login.
    pub bcrypt_cost: u32,
    /// Password hashes computed at once (0: one per core); more wait in
    /// line, in arrival order.
    #[serde(default)]
    pub hashing_workers: usize,
    /// A login (or registration) whose hash would wait longer than this to
    /// start is refused at once: 503 with Retry-After.
    #[serde(default = "default_hashing_max_wait_ms")]
    pub hashing_max_wait_ms: u64,
    /// Accounts `GET /v1/auth/me` keeps in memory (0: none; it then reads
    /// the database every time).
    #[serde(default = "default_profile_cache_entries")]
    pub profile_cache_entries: usize,
    /// Access-token lifetime; at most 15 minutes.
    pub access_token_ttl_secs: u64,
    /// How long a session lives without being refreshed.
    pub session_ttl_days: u32,
    /// The Ed25519 signing key: PKCS#8 as PEM or base64 DER. The development
    /// key carries the `dev-insecure-` prefix that production refuses.
    pub signing_key: SecretString,
    pub signing_key_id: String,
    /// Earlier signing keys still accepted during a rotation, each
    /// `kid:x` with `x` the base64url Ed25519 public key (its JWK `x`).
    #[serde(default)]
    pub previous_keys: Vec<String>,
    /// Mixed into OTP hashes, so a database dump does not give the 10^6
    /// possible codes away.
    pub otp_pepper: SecretString,
    pub login: LoginLimits,
    pub otp: OtpSettings,
    /// Login-code and reset-link requests answer no sooner than this, so the
    /// extra work for a known account does not show in the timing.
    pub anonymous_answer_floor_ms: u64,
    pub password_reset_ttl_secs: u64,
    pub email_verification_ttl_secs: u64,
    /// The client app's URL: emailed links are `{link_base_url}/verify-email`
    /// and `{link_base_url}/reset-password` with `?token=...`, pages the app
    /// serves (the gateway serves a default pair). Empty: the gateway's
    /// `application.public_url`.
    #[serde(default)]
    pub link_base_url: String,
    /// Sign-in with OAuth 2.0 / OpenID Connect providers.
    #[serde(default)]
    pub oauth: OAuthSettings,
    #[serde(default)]
    pub passkeys: PasskeySettings,
}

/// The WebAuthn relying party.
#[derive(Debug, Clone, Deserialize)]
pub struct PasskeySettings {
    /// The domain passkeys are bound to (empty: the first origin's host).
    /// A passkey made for it works on it and its subdomains only.
    #[serde(default)]
    pub rp_id: String,
    /// The pages that may use passkeys, e.g. `https://app.example.com`
    /// (empty: `application.public_url`).
    #[serde(default)]
    pub origins: Vec<String>,
    /// The name authenticators show.
    #[serde(default = "default_rp_name")]
    pub rp_name: String,
}

impl Default for PasskeySettings {
    fn default() -> Self {
        Self {
            rp_id: String::new(),
            origins: Vec::new(),
            rp_name: default_rp_name(),
        }
    }
}

fn default_rp_name() -> String {
    "Dayone".into()
}

/// The providers accounts may sign in with, and where a sign-in may end.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OAuthSettings {
    /// By the name in their routes: `/v1/auth/oauth/{name}/authorize`.
    #[serde(default)]
    pub providers: std::collections::BTreeMap<String, ProviderSettings>,
    /// The app pages a sign-in may return to (`redirect_to`, matched
    /// exactly); the first is the default. Empty: `{link_base_url}/signed-in`.
    #[serde(default)]
    pub redirects: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Any OpenID Connect issuer (Google, Apple, Microsoft, Keycloak...):
    /// found by discovery, id tokens checked against its JWKS.
    Oidc,
    /// GitHub's OAuth apps: OAuth 2.0 without id tokens; the account comes
    /// from its API.
    Github,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProviderSettings {
    pub kind: ProviderKind,
    /// OIDC: the issuer, e.g. `https://accounts.google.com`.
    #[serde(default)]
    pub issuer: String,
    pub client_id: String,
    /// Set it with `..._CLIENT_SECRET_FILE`. Apple's is the ES256 JWT made
    /// from the team's key (valid up to six months).
    pub client_secret: SecretString,
    /// Space-separated; by default `openid email profile` (OIDC) or
    /// `read:user user:email` (GitHub).
    #[serde(default)]
    pub scope: String,
    /// GitHub: its web and API bases (github.com, api.github.com by
    /// default; a GitHub Enterprise server's otherwise).
    #[serde(default)]
    pub web_url: String,
    #[serde(default)]
    pub api_url: String,
}

fn default_hashing_max_wait_ms() -> u64 {
    1000
}

fn default_profile_cache_entries() -> usize {
    100_000
}

#[derive(Debug, Clone, Deserialize)]
pub struct LoginLimits {
    pub max_failures_per_account: u64,
    pub max_failures_per_ip: u64,
    pub window_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OtpSettings {
    pub ttl_secs: u64,
    pub max_verifications_per_phone: u64,
    pub window_secs: u64,
}

impl ServiceSettings for Settings {
    const LIST_KEYS: &'static [&'static str] = &[
        "auth.previous_keys",
        "auth.oauth.redirects",
        "auth.passkeys.origins",
    ];

    fn common(&self) -> &CommonSettings {
        &self.common
    }

    fn secrets(&self) -> Vec<(&'static str, &SecretString)> {
        vec![
            ("auth.signing_key", &self.auth.signing_key),
            ("auth.otp_pepper", &self.auth.otp_pepper),
        ]
    }
}
