//! Passkeys (WebAuthn), verified by `webauthn-rs` (pure Rust since 0.6: no
//! OpenSSL). An account has any number; sign-in is usernameless (the
//! authenticator offers its discoverable credential, whose user handle is
//! the account's id), so it never tells whether an email has an account.
//! Each ceremony's state waits in Redis for five minutes and is taken by
//! the finishing request: a challenge is answered once.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use dayone_model::BaseEntity;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Webauthn, WebauthnBuilder,
};

use crate::entities::{passkey, user};
use crate::error::AuthError;
use crate::pending;
use crate::secrets::random_token;
use crate::sessions::{self, Device, TokenResponse};
use crate::settings::PasskeySettings;
use crate::state::AuthState;

const CEREMONY_TTL_SECS: u64 = 300;

/// The relying party: who passkeys are made for, and the pages that may
/// use them.
pub fn relying_party(settings: &PasskeySettings, public_url: &str) -> anyhow::Result<Webauthn> {
    let origins: Vec<Url> = if settings.origins.is_empty() {
        let mut origin = Url::parse(public_url)?;
        // An address is no WebAuthn relying party id: a gateway at
        // 127.0.0.1 (a local stack) offers passkeys on localhost.
        let host = origin.host_str().unwrap_or_default();
        if host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok()
        {
            origin
                .set_host(Some("localhost"))
                .map_err(|e| anyhow::anyhow!("auth.passkeys: {e}"))?;
        }
        vec![origin]
    } else {
        settings
            .origins
            .iter()
            .map(|o| Url::parse(o))
            .collect::<Result<_, _>>()?
    };
    let rp_id = if settings.rp_id.is_empty() {
        origins[0]
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("auth.passkeys: the origin has no host"))?
            .to_owned()
    } else {
        settings.rp_id.clone()
    };
    let mut builder = WebauthnBuilder::new(&rp_id, &origins[0])
        .map_err(|e| anyhow::anyhow!("auth.passkeys: {e}"))?
        .rp_name(&settings.rp_name);
    for origin in &origins[1..] {
        builder = builder.append_allowed_origin(origin);
    }
    builder
        .build()
        .map_err(|e| anyhow::anyhow!("auth.passkeys: {e}"))
}

/// Keeps a ceremony's state for its finishing request.
async fn keep<T: Serialize>(state: &AuthState, kind: &str, value: &T) -> Result<String, AuthError> {
    let id = random_token();
    pending::keep(
        state,
        &format!("passkey-{kind}"),
        &id,
        value,
        CEREMONY_TTL_SECS,
    )
    .await?;
    Ok(id)
}

/// The ceremony's state, taken once.
async fn take<T: DeserializeOwned>(
    state: &AuthState,
    kind: &str,
    id: &str,
) -> Result<T, AuthError> {
    pending::take(state, &format!("passkey-{kind}"), id)
        .await?
        .ok_or(AuthError::InvalidCeremony)
}

fn refused(e: impl std::fmt::Display) -> AuthError {
    AuthError::PasskeyRefused(e.to_string())
}

/// A ceremony's id and the options for `navigator.credentials`.
pub struct Started {
    pub challenge_id: String,
    pub options: Value,
}

#[derive(Serialize, Deserialize)]
struct Registering {
    user_id: i64,
    state: PasskeyRegistration,
}

async fn of_user(db: &DatabaseConnection, user_id: i64) -> Result<Vec<passkey::Model>, AuthError> {
    Ok(passkey::Entity::active()
        .filter(passkey::Column::UserId.eq(user_id))
        .order_by_asc(passkey::Column::Id)
        .all(db)
        .await?)
}

/// Options to make a new passkey for `user` (its other passkeys excluded,
/// so an authenticator is not registered twice).
pub async fn start_registration(
    state: &AuthState,
    user: &user::Model,
) -> Result<Started, AuthError> {
    let existing = of_user(&state.db, user.id)
        .await?
        .into_iter()
        .filter_map(|p| serde_json::from_value::<Passkey>(p.credential).ok())
        .map(|p| p.cred_id().clone())
        .collect::<Vec<_>>();
    let display = user.name.clone().unwrap_or_else(|| user.email.clone());
    let (options, registration) = state
        .webauthn
        .start_passkey_registration(user.uuid, &user.email, &display, Some(existing))
        .map_err(|e| AuthError::Unexpected(anyhow::anyhow!("starting a registration: {e}")))?;
    let challenge_id = keep(
        state,
        "registration",
        &Registering {
            user_id: user.id,
            state: registration,
        },
    )
    .await?;
    let mut options = serde_json::to_value(options).map_err(|e| AuthError::Unexpected(e.into()))?;
    // Sign-in asks for no email, so the authenticator must keep the
    // credential itself (a discoverable credential): webauthn-rs only
    // prefers that, and an authenticator may then make one it cannot offer.
    let selection = &mut options["publicKey"]["authenticatorSelection"];
    selection["residentKey"] = "required".into();
    selection["requireResidentKey"] = true.into();
    Ok(Started {
        challenge_id,
        options,
    })
}

/// Checks the authenticator's answer and keeps the new passkey.
pub async fn finish_registration(
    state: &AuthState,
    user: &user::Model,
    challenge_id: &str,
    name: &str,
    credential: Value,
) -> Result<passkey::Model, AuthError> {
    let registering: Registering = take(state, "registration", challenge_id).await?;
    if registering.user_id != user.id {
        return Err(AuthError::InvalidCeremony);
    }
    let credential: RegisterPublicKeyCredential =
        serde_json::from_value(credential).map_err(refused)?;
    let passkey = state
        .webauthn
        .finish_passkey_registration(&credential, &registering.state)
        .map_err(refused)?;
    let saved = passkey::ActiveModel {
        user_id: Set(user.id),
        name: Set(name.to_owned()),
        credential_id: Set(URL_SAFE_NO_PAD.encode::<&[u8]>(passkey.cred_id().as_ref())),
        credential: Set(
            serde_json::to_value(&passkey).map_err(|e| AuthError::Unexpected(e.into()))?
        ),
        ..Default::default()
    }
    .insert(&state.db)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            AuthError::Conflict("this passkey is registered already")
        }
        _ => e.into(),
    })?;
    tracing::info!(user_id = %user.uuid, passkey = %saved.uuid, "passkey registered");
    Ok(saved)
}

pub async fn list(
    db: &DatabaseConnection,
    user: &user::Model,
) -> Result<Vec<passkey::Model>, AuthError> {
    of_user(db, user.id).await
}

/// Removes one of `user`'s passkeys (someone else's is not found).
pub async fn delete(
    db: &DatabaseConnection,
    user: &user::Model,
    uuid: Uuid,
) -> Result<(), AuthError> {
    let removed = passkey::Entity::delete_many()
        .filter(passkey::Column::UserId.eq(user.id))
        .filter(passkey::Column::Uuid.eq(uuid))
        .exec(db)
        .await?
        .rows_affected;
    if removed == 0 {
        return Err(AuthError::NotFound("passkey"));
    }
    Ok(())
}

/// Options for a usernameless sign-in.
pub async fn start_sign_in(state: &AuthState) -> Result<Started, AuthError> {
    let (options, authentication) = state
        .webauthn
        .start_discoverable_authentication()
        .map_err(|e| AuthError::Unexpected(anyhow::anyhow!("starting a sign-in: {e}")))?;
    let challenge_id = keep(state, "sign-in", &authentication).await?;
    Ok(Started {
        challenge_id,
        options: serde_json::to_value(options).map_err(|e| AuthError::Unexpected(e.into()))?,
    })
}

/// Checks the assertion against the passkey it names, moves its counter on
/// and starts a session (`amr`: `hwk`, a key held in hardware, which counts
/// as a second factor).
pub async fn finish_sign_in(
    state: &AuthState,
    challenge_id: &str,
    credential: Value,
    device: Device,
) -> Result<TokenResponse, AuthError> {
    let authentication: DiscoverableAuthentication = take(state, "sign-in", challenge_id).await?;
    let credential: PublicKeyCredential = serde_json::from_value(credential).map_err(refused)?;
    let (user_uuid, credential_id) = state
        .webauthn
        .identify_discoverable_authentication(&credential)
        .map_err(refused)?;
    let credential_id = URL_SAFE_NO_PAD.encode(credential_id);
    let record = passkey::Entity::active()
        .filter(passkey::Column::CredentialId.eq(&credential_id))
        .one(&state.db)
        .await?
        .ok_or_else(|| refused("no such passkey"))?;
    let user = crate::users::find_by_id(&state.db, record.user_id)
        .await?
        .filter(|u| u.uuid == user_uuid)
        .ok_or_else(|| refused("the passkey belongs to another account"))?;
    let mut key: Passkey = serde_json::from_value(record.credential.clone())
        .map_err(|e| AuthError::Unexpected(e.into()))?;
    let result = state
        .webauthn
        .finish_discoverable_authentication_v2(&credential, authentication, &key)
        .map_err(refused)?;
    key.update_credential(&result);
    let mut used: passkey::ActiveModel = record.into();
    used.credential = Set(serde_json::to_value(&key).map_err(|e| AuthError::Unexpected(e.into()))?);
    used.last_used_at = Set(Some(Utc::now()));
    used.update(&state.db).await?;
    if user.disabled_at.is_some() {
        return Err(AuthError::Disabled);
    }
    sessions::start(state, &user, device, &[dayone_web::auth::AMR_PASSKEY]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gateway_on_an_address_offers_passkeys_on_localhost() {
        let rp = relying_party(&PasskeySettings::default(), "http://127.0.0.1:8090").unwrap();
        let origins: Vec<&str> = rp.get_allowed_origins().iter().map(Url::as_str).collect();
        assert_eq!(origins, ["http://localhost:8090/"]);
    }

    #[test]
    fn origins_that_are_not_of_the_rp_id_are_refused_at_start() {
        let settings = PasskeySettings {
            rp_id: "example.com".into(),
            origins: vec!["https://evil.example".into()],
            ..PasskeySettings::default()
        };
        assert!(relying_party(&settings, "https://example.com").is_err());
    }
}
