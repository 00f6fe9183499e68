//! Creating accounts. The row and its `user.registered` event are written in
//! one transaction, so the event exists exactly when the account does.

use dayone_broker::Outbox;
use dayone_model::Envelope;
use dayone_model::messages::users::UserRegistered;
use sea_orm::{ActiveModelTrait, DatabaseConnection, DbErr, Set, SqlErr, TransactionTrait};

use crate::entities::user;

pub struct NewUser {
    pub email: String,
    pub password_hash: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub roles: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    Database(#[from] DbErr),
}

pub async fn create_user(
    db: &DatabaseConnection,
    outbox: &Outbox,
    new: NewUser,
) -> Result<user::Model, CreateUserError> {
    let txn = db.begin().await?;
    let inserted = user::ActiveModel {
        email: Set(new.email.to_lowercase()),
        password_hash: Set(new.password_hash),
        name: Set(new.name),
        phone: Set(new.phone),
        roles: Set(new.roles),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => CreateUserError::EmailTaken,
        _ => CreateUserError::Database(e),
    })?;
    let event = Envelope::new(UserRegistered {
        user_uuid: inserted.uuid,
        email: inserted.email.clone(),
        name: inserted.name.clone(),
        phone: inserted.phone.clone(),
    });
    outbox.enqueue(&txn, &event).await?;
    txn.commit().await?;
    outbox.wake();
    tracing::info!(user_id = %inserted.uuid, "user created");
    Ok(inserted)
}
