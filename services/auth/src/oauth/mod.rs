//! Sign-in with OAuth 2.0 / OpenID Connect providers.
//!
//! 1. `authorize` keeps a random `state`, the PKCE verifier, a `nonce` and
//!    where the sign-in ends in Redis for ten minutes, and sends the
//!    browser to the provider with the state, the nonce and the verifier's
//!    S256 challenge.
//! 2. The provider sends the browser back to `callback` with a code and the
//!    state. The state is taken (used once); the code is traded for the
//!    id token, whose signature, issuer, audience, expiry and nonce are
//!    checked (GitHub: its API says who it is).
//! 3. The identity is found by the provider's subject, never by email. A
//!    new subject makes a new account only when the provider verified the
//!    email and no account has it: an existing account is linked only by
//!    its signed-in owner (`POST /v1/auth/oauth/{provider}/link`), so an
//!    email at a provider never takes an account over.
//! 4. The browser goes to the app's page with a one-time `code`, which the
//!    app trades at `POST /v1/auth/oauth/token` for Dayone's own tokens (or
//!    the MFA challenge of an account with a second factor). Tokens never
//!    travel in a URL.

pub mod providers;

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dayone_model::BaseEntity;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::entities::{identity, user};
use crate::error::AuthError;
use crate::mfa::{self, SignIn};
use crate::pending;
use crate::secrets::random_token;
use crate::sessions::Device;
use crate::settings::OAuthSettings;
use crate::state::AuthState;
use crate::users::{self, NewUser};
pub use providers::{Identity, Provider, ProviderError};

const STATE_TTL_SECS: u64 = 600;
const RESULT_TTL_SECS: u64 = 120;

/// The configured providers and where sign-ins may end.
pub struct Federation {
    providers: BTreeMap<String, Provider>,
    redirects: Vec<String>,
    /// Where providers send the browser back: `{public_url}/v1/auth/oauth`.
    callback_base: String,
}

impl Federation {
    pub fn from_settings(
        settings: &OAuthSettings,
        public_url: &str,
        link_base: &str,
    ) -> anyhow::Result<Self> {
        let providers = settings
            .providers
            .iter()
            .map(|(name, p)| Ok((name.clone(), Provider::new(name, p.clone())?)))
            .collect::<anyhow::Result<_>>()?;
        let redirects = if settings.redirects.is_empty() {
            vec![format!("{}/signed-in", link_base.trim_end_matches('/'))]
        } else {
            settings.redirects.clone()
        };
        Ok(Self {
            providers,
            redirects,
            callback_base: format!("{}/v1/auth/oauth", public_url.trim_end_matches('/')),
        })
    }

    pub fn provider(&self, name: &str) -> Result<&Provider, AuthError> {
        self.providers
            .get(name)
            .ok_or(AuthError::NotFound("sign-in provider"))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.providers.keys().map(String::as_str)
    }

    fn callback(&self, provider: &str) -> String {
        format!("{}/{provider}/callback", self.callback_base)
    }

    /// `redirect_to` if it is one of the allowed pages; the default if none.
    fn landing(&self, redirect_to: Option<&str>) -> Result<String, AuthError> {
        match redirect_to {
            None => Ok(self.redirects[0].clone()),
            Some(page) if self.redirects.iter().any(|r| r == page) => Ok(page.to_owned()),
            Some(_) => Err(AuthError::Invalid(vec![(
                "redirect_to",
                "is not one of auth.oauth.redirects".into(),
            )])),
        }
    }
}

/// What `authorize` keeps for the callback.
#[derive(Serialize, Deserialize)]
struct Attempt {
    provider: String,
    verifier: String,
    nonce: String,
    landing: String,
    /// Set when a signed-in user links the provider to their account.
    link_user: Option<i64>,
}

/// What an attempt keeps for its callback, and a finished sign-in for the
/// app (`crate::pending`).
const ATTEMPT: &str = "oauth-state";
const FINISHED: &str = "oauth-result";

/// The provider's sign-in page for a new attempt.
pub async fn authorize(
    state: &AuthState,
    provider: &str,
    redirect_to: Option<&str>,
    login_hint: Option<&str>,
    link_user: Option<i64>,
) -> Result<String, AuthError> {
    let federation = &state.federation;
    let client = federation.provider(provider)?;
    let landing = federation.landing(redirect_to)?;
    let token = random_token();
    let attempt = Attempt {
        provider: provider.to_owned(),
        verifier: random_token(),
        nonce: random_token(),
        landing,
        link_user,
    };
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(attempt.verifier.as_bytes()));
    let url = client
        .authorize_url(
            &federation.callback(provider),
            &token,
            &attempt.nonce,
            &challenge,
            login_hint,
        )
        .await
        .map_err(|e| AuthError::Unavailable("the sign-in provider", e.into()))?;
    pending::keep(state, ATTEMPT, &token, &attempt, STATE_TTL_SECS).await?;
    Ok(url)
}

/// Where the callback sends the browser.
pub enum Landing {
    /// `{page}?code=...`: the app trades the code for tokens.
    SignedIn(String),
    /// `{page}?error=...`.
    Failed(String),
}

fn with_query(page: &str, name: &str, value: &str) -> String {
    let separator = if page.contains('?') { '&' } else { '?' };
    let pair = form_urlencoded::Serializer::new(String::new())
        .append_pair(name, value)
        .finish();
    format!("{page}{separator}{pair}")
}

/// What the provider sent back.
pub struct Callback<'a> {
    pub state: &'a str,
    pub code: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// The second half: an unknown, reused or other provider's `state` is an
/// error answered here (there is no page to go to); anything after it
/// lands on the attempt's page.
pub async fn callback(
    state: &AuthState,
    provider: &str,
    back: Callback<'_>,
    device: Device,
) -> Result<Landing, AuthError> {
    let client = state.federation.provider(provider)?;
    let attempt: Attempt = pending::take(state, ATTEMPT, back.state)
        .await?
        .filter(|a: &Attempt| a.provider == provider)
        .ok_or(AuthError::InvalidOAuthState)?;
    let fail = |code: &str| Ok(Landing::Failed(with_query(&attempt.landing, "error", code)));
    if let Some(error) = back.error {
        tracing::info!(provider, error, "the provider answered an error");
        return fail("access_denied");
    }
    let Some(code) = back.code.filter(|c| !c.is_empty()) else {
        return fail("invalid_request");
    };
    let identity = match client
        .identity(
            code,
            &state.federation.callback(provider),
            &attempt.verifier,
            &attempt.nonce,
        )
        .await
    {
        Ok(identity) => identity,
        Err(e) => {
            tracing::warn!(provider, error = %e, "sign-in with a provider failed");
            return fail(e.code());
        }
    };
    let user = match account_for(state, provider, &identity, attempt.link_user).await {
        Ok(user) => user,
        Err(Refused(code)) => return fail(code),
        Err(Failed(e)) => return Err(e),
    };
    let finished = Finished {
        user_id: user.id,
        user_agent: device.user_agent,
        ip: device.ip,
    };
    let code = random_token();
    pending::keep(state, FINISHED, &code, &finished, RESULT_TTL_SECS).await?;
    Ok(Landing::SignedIn(with_query(
        &attempt.landing,
        "code",
        &code,
    )))
}

/// A sign-in finished at the provider, waiting for the app to collect it.
#[derive(Serialize, Deserialize)]
struct Finished {
    user_id: i64,
    user_agent: Option<String>,
    ip: Option<String>,
}

/// Trades the one-time code from the landing page for tokens (or the MFA
/// challenge).
pub async fn exchange(state: &AuthState, code: &str) -> Result<SignIn, AuthError> {
    let result: Finished = pending::take(state, FINISHED, code)
        .await?
        .ok_or(AuthError::InvalidLink)?;
    let user = users::find_by_id(&state.db, result.user_id)
        .await?
        .ok_or(AuthError::InvalidLink)?;
    let device = Device {
        user_agent: result.user_agent,
        ip: result.ip,
    };
    mfa::sign_in(state, &user, device, "fed").await
}

enum AccountError {
    /// Refused, with the code the app's page is told.
    Refused(&'static str),
    Failed(AuthError),
}
use AccountError::{Failed, Refused};

impl<E: Into<AuthError>> From<E> for AccountError {
    fn from(e: E) -> Self {
        Failed(e.into())
    }
}

/// The account the identity signs in to.
async fn account_for(
    state: &AuthState,
    provider: &str,
    identity: &Identity,
    link_user: Option<i64>,
) -> Result<user::Model, AccountError> {
    let known = identity::Entity::active()
        .filter(identity::Column::Provider.eq(provider))
        .filter(identity::Column::Subject.eq(&identity.subject))
        .one(&state.db)
        .await?;
    if let Some(known) = known {
        if link_user.is_some_and(|u| u != known.user_id) {
            return Err(Refused("identity_in_use"));
        }
        return users::find_by_id(&state.db, known.user_id)
            .await?
            .ok_or(Refused("account_gone"));
    }
    if let Some(owner) = link_user {
        // The signed-in owner proved the account is theirs.
        let user = users::find_by_id(&state.db, owner)
            .await?
            .ok_or(Refused("account_gone"))?;
        insert_identity(&state.db, provider, identity, user.id).await?;
        tracing::info!(user_id = %user.uuid, provider, "provider linked");
        return Ok(user);
    }
    let Some(email) = identity.email.clone().filter(|_| identity.email_verified) else {
        return Err(Refused("email_not_verified"));
    };
    if users::find_by_email(&state.db, &email).await?.is_some() {
        // Whatever the provider says about the email, only the account's
        // owner may link it: sign in as before and link from the account.
        return Err(Refused("account_exists"));
    }
    // The account gets a random password nobody knows: a password reset
    // sets one.
    let password_hash = state
        .hasher
        .hash(random_token(), state.settings.bcrypt_cost)
        .await?;
    let txn = state.db.begin().await?;
    let created = users::insert_user(
        &txn,
        &state.outbox,
        NewUser {
            email,
            password_hash,
            name: None,
            phone: None,
            locale: None,
            roles: vec!["user".into()],
        },
    )
    .await;
    let user = match created {
        Ok(user) => user,
        Err(users::CreateUserError::EmailTaken) => return Err(Refused("account_exists")),
        Err(e) => return Err(Failed(e.into())),
    };
    let mut verified: user::ActiveModel = user.into();
    verified.email_verified_at = Set(Some(chrono::Utc::now()));
    let user = verified.update(&txn).await?;
    insert_identity(&txn, provider, identity, user.id).await?;
    txn.commit().await?;
    state.outbox.wake();
    tracing::info!(user_id = %user.uuid, provider, "account made at sign-in with a provider");
    Ok(user)
}

async fn insert_identity<C: sea_orm::ConnectionTrait>(
    db: &C,
    provider: &str,
    identity: &Identity,
    user_id: i64,
) -> Result<(), AuthError> {
    identity::ActiveModel {
        user_id: Set(user_id),
        provider: Set(provider.to_owned()),
        subject: Set(identity.subject.clone()),
        email: Set(identity.email.clone()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
