//! Push tokens: the devices a user gets push notifications on. A token is
//! registered to one user at a time; registering it again for someone else
//! (a shared phone, a new login) moves it.

use dayone_model::BaseEntity;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, QueryFilter, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::entities::device;
use crate::error::NotificationError;

/// What registering a token did.
pub enum Registered {
    /// It was the user's already.
    Already(device::Model),
    /// It is the user's now (taken from whoever had it).
    Created(device::Model),
}

/// The user's registered devices.
pub async fn of(db: &DatabaseConnection, user: Uuid) -> Result<Vec<device::Model>, DbErr> {
    device::Entity::active()
        .filter(device::Column::UserUuid.eq(user))
        .all(db)
        .await
}

/// Registers `token` (already checked and normalised) on `platform` for
/// `user`.
pub async fn register(
    db: &DatabaseConnection,
    user: Uuid,
    platform: &str,
    token: String,
) -> Result<Registered, DbErr> {
    let txn = db.begin().await?;
    let existing = device::Entity::active()
        .filter(device::Column::Platform.eq(platform))
        .filter(device::Column::Token.eq(&token))
        .one(&txn)
        .await?;
    if let Some(existing) = existing {
        if existing.user_uuid == user {
            return Ok(Registered::Already(existing));
        }
        device::Entity::soft_delete(&txn, existing.uuid).await?;
    }
    let created = device::ActiveModel {
        user_uuid: Set(user),
        platform: Set(platform.to_owned()),
        token: Set(token),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    tracing::info!(user_id = %user, platform, "device registered");
    Ok(Registered::Created(created))
}

/// Removes the user's `token` on `platform`.
pub async fn remove(
    db: &DatabaseConnection,
    user: Uuid,
    platform: &str,
    token: &str,
) -> Result<(), NotificationError> {
    let found = device::Entity::active()
        .filter(device::Column::UserUuid.eq(user))
        .filter(device::Column::Platform.eq(platform))
        .filter(device::Column::Token.eq(token))
        .one(db)
        .await?
        .ok_or(NotificationError::DeviceNotFound)?;
    device::Entity::soft_delete(db, found.uuid).await?;
    Ok(())
}
