//! API keys: made, rotated and revoked by admins; recorded here, and
//! published as grants to Redis, where every service checks presented keys
//! (`dayone_web::auth::api_keys`). Each change reaches Redis before it is
//! answered, so a revoked or rotated secret is refused everywhere from the
//! moment the admin hears it was.

use chrono::{DateTime, Utc};
use dayone_model::BaseEntity;
use dayone_web::audit::AdminAct;
use dayone_web::auth::api_keys::{self, Grant};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, IntoActiveModel, QueryFilter, QueryOrder,
    Set, TransactionTrait,
};
use uuid::Uuid;

use crate::entities::api_key;
use crate::error::AuthError;
use crate::secrets::random_token;
use crate::state::AuthState;

/// What an admin asks for.
pub struct NewKey {
    pub name: String,
    pub scopes: Vec<String>,
    pub expires_at: DateTime<Utc>,
}

/// A key and its full text, which is shown this once.
pub struct Issued {
    pub key: api_key::Model,
    pub text: String,
}

/// The scopes of a key, as stored.
pub fn scopes_of(key: &api_key::Model) -> Vec<String> {
    serde_json::from_value(key.scopes.clone()).unwrap_or_default()
}

fn grant(key: &api_key::Model, secret_hash: String) -> Grant {
    Grant {
        key_uuid: key.uuid,
        name: key.name.clone(),
        scopes: scopes_of(key),
        secret_hash,
        expires_at: key.expires_at.timestamp(),
    }
}

fn unavailable(e: redis::RedisError) -> AuthError {
    AuthError::Unavailable("Redis (where services check API keys)", e.into())
}

pub async fn create(state: &AuthState, new: NewKey, act: &AdminAct) -> Result<Issued, AuthError> {
    let uuid = Uuid::new_v4();
    let secret = random_token();
    let hash = api_keys::secret_hash(&secret);
    let txn = state.db.begin().await?;
    let key = api_key::ActiveModel {
        uuid: Set(uuid),
        name: Set(new.name),
        scopes: Set(serde_json::json!(new.scopes)),
        secret_hash: Set(hash.clone()),
        created_by: Set(act.actor()),
        expires_at: Set(new.expires_at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    act.on(uuid).record(&txn, &state.outbox).await?;
    // Published before the commit: a key answered is a key that works. If
    // the commit fails the grant names a key nobody was told the secret of.
    api_keys::publish(&state.redis, &grant(&key, hash))
        .await
        .map_err(unavailable)?;
    if let Err(e) = txn.commit().await {
        let _ = api_keys::withdraw(&state.redis, uuid).await;
        return Err(e.into());
    }
    state.outbox.wake();
    Ok(Issued {
        text: api_keys::format_key(uuid, &secret),
        key,
    })
}

/// Every key, newest first, revoked ones included (for the record).
pub async fn list(db: &DatabaseConnection) -> Result<Vec<api_key::Model>, AuthError> {
    Ok(api_key::Entity::active()
        .order_by_desc(api_key::Column::Id)
        .all(db)
        .await?)
}

async fn find(state: &AuthState, uuid: Uuid) -> Result<api_key::Model, AuthError> {
    api_key::Entity::find_by_uuid(&state.db, uuid)
        .await?
        .ok_or(AuthError::NotFound("API key"))
}

/// A new secret for the key; the old one stops working at once.
pub async fn rotate(state: &AuthState, uuid: Uuid, act: &AdminAct) -> Result<Issued, AuthError> {
    let key = find(state, uuid).await?;
    if key.revoked_at.is_some() {
        return Err(AuthError::Conflict("the key is revoked; make a new one"));
    }
    if key.expires_at <= Utc::now() {
        return Err(AuthError::Conflict("the key has expired; make a new one"));
    }
    let secret = random_token();
    let hash = api_keys::secret_hash(&secret);
    let txn = state.db.begin().await?;
    let mut active = key.into_active_model();
    active.secret_hash = Set(hash.clone());
    active.rotated_at = Set(Some(Utc::now()));
    let key = active.update(&txn).await?;
    act.record(&txn, &state.outbox).await?;
    txn.commit().await?;
    state.outbox.wake();
    // After the commit: should this fail, the old secret works until the
    // admin retries (which makes yet another secret), never the other way.
    api_keys::publish(&state.redis, &grant(&key, hash))
        .await
        .map_err(unavailable)?;
    Ok(Issued {
        text: api_keys::format_key(uuid, &secret),
        key,
    })
}

/// Ends the key for good. Revoking a revoked key withdraws it again (a
/// retry after Redis was unreachable) and is not recorded twice.
pub async fn revoke(state: &AuthState, uuid: Uuid, act: &AdminAct) -> Result<(), AuthError> {
    let key = find(state, uuid).await?;
    if key.revoked_at.is_none() {
        let txn = state.db.begin().await?;
        let mut active = key.into_active_model();
        active.revoked_at = Set(Some(Utc::now()));
        active.update(&txn).await?;
        act.record(&txn, &state.outbox).await?;
        txn.commit().await?;
        state.outbox.wake();
    }
    api_keys::withdraw(&state.redis, uuid)
        .await
        .map_err(unavailable)
}

/// Publishes every live key's grant (at start: Redis may have lost them).
pub async fn publish_live(
    db: &DatabaseConnection,
    redis: &dayone_web::redis::Redis,
) -> Result<usize, AuthError> {
    let live = api_key::Entity::active()
        .filter(api_key::Column::RevokedAt.is_null())
        .filter(api_key::Column::ExpiresAt.gt(Utc::now()))
        .all(db)
        .await?;
    for key in &live {
        api_keys::publish(redis, &grant(key, key.secret_hash.clone())).await?;
    }
    Ok(live.len())
}
