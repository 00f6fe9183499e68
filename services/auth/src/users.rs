//! Accounts: creating them (with their `user.registered` event in the same
//! transaction), looking them up, and their public representation.

use dayone_broker::Outbox;
use dayone_model::messages::users::{UserRegistered, UserUpdated};
use dayone_model::{BaseEntity, Envelope};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, QueryFilter, Set,
    SqlErr, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entities::user;
use crate::error::AuthError;

pub struct NewUser {
    pub email: String,
    pub password_hash: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub locale: Option<String>,
    pub roles: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("this phone number belongs to another account")]
    PhoneTaken,
    #[error(transparent)]
    Database(#[from] DbErr),
}

impl From<CreateUserError> for AuthError {
    fn from(e: CreateUserError) -> Self {
        match e {
            CreateUserError::EmailTaken => AuthError::EmailTaken,
            CreateUserError::PhoneTaken => AuthError::PhoneTaken,
            CreateUserError::Database(e) => e.into(),
        }
    }
}

/// A unique-index violation as the field it is about.
pub fn taken(e: DbErr) -> CreateUserError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) if detail.contains("phone") => {
            CreateUserError::PhoneTaken
        }
        Some(SqlErr::UniqueConstraintViolation(_)) => CreateUserError::EmailTaken,
        _ => CreateUserError::Database(e),
    }
}

/// Inserts the account and its `user.registered` event within `txn`.
pub async fn insert_user<C: ConnectionTrait>(
    txn: &C,
    outbox: &Outbox,
    new: NewUser,
) -> Result<user::Model, CreateUserError> {
    let inserted = user::ActiveModel {
        email: Set(new.email.to_lowercase()),
        password_hash: Set(new.password_hash),
        name: Set(new.name),
        phone: Set(new.phone),
        locale: Set(new.locale),
        roles: Set(new.roles),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(taken)?;
    let event = Envelope::new(UserRegistered {
        user_uuid: inserted.uuid,
        email: inserted.email.clone(),
        name: inserted.name.clone(),
        phone: inserted.phone.clone(),
        locale: inserted.locale.clone(),
    });
    outbox.enqueue(txn, &event).await?;
    tracing::info!(user_id = %inserted.uuid, "user created");
    Ok(inserted)
}

/// [`insert_user`] in a transaction of its own.
pub async fn create_user(
    db: &DatabaseConnection,
    outbox: &Outbox,
    new: NewUser,
) -> Result<user::Model, CreateUserError> {
    let txn = db.begin().await?;
    let inserted = insert_user(&txn, outbox, new).await?;
    txn.commit().await?;
    outbox.wake();
    Ok(inserted)
}

/// The `user.updated` event for the account's current state.
pub fn updated_event(user: &user::Model) -> Envelope<UserUpdated> {
    Envelope::new(UserUpdated {
        user_uuid: user.uuid,
        email: user.email.clone(),
        name: user.name.clone(),
        phone: user.phone.clone(),
        locale: user.locale.clone(),
    })
}

pub async fn find_by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::active()
        .filter(user::Column::Email.eq(email.to_lowercase()))
        .one(db)
        .await
}

pub async fn find_by_phone<C: ConnectionTrait>(
    db: &C,
    phone: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::active()
        .filter(user::Column::Phone.eq(phone))
        .one(db)
        .await
}

pub async fn find_by_id<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<user::Model>, DbErr> {
    user::Entity::active()
        .filter(user::Column::Id.eq(id))
        .one(db)
        .await
}

/// An account as the API shows it: the public id, never the internal one.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub uuid: Uuid,
    pub email: String,
    pub email_verified: bool,
    pub name: Option<String>,
    pub phone: Option<String>,
    /// BCP 47 (`pt-BR`): the language of messages to the account.
    pub locale: Option<String>,
    pub roles: Vec<String>,
    /// An admin disabled the account: it cannot sign in.
    pub disabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<user::Model> for UserResponse {
    fn from(user: user::Model) -> Self {
        Self {
            uuid: user.uuid,
            email: user.email,
            email_verified: user.email_verified_at.is_some(),
            name: user.name,
            phone: user.phone,
            locale: user.locale,
            roles: user.roles,
            disabled: user.disabled_at.is_some(),
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}
