//! Where a recipient is reached. Jobs may carry the address; otherwise the
//! contact projection (kept from auth's `user.*` events) supplies it. The
//! address in the job wins: it is what the sender saw when it decided to
//! send, and it needs no projection to have caught up yet.

use dayone_model::BaseEntity;
use dayone_model::messages::notifications::Recipient;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, QueryFilter};

use crate::entities::contact;

async fn contact_of<C: ConnectionTrait>(
    db: &C,
    recipient: &Recipient,
) -> Result<Option<contact::Model>, DbErr> {
    match recipient.user_uuid {
        Some(user) => {
            contact::Entity::active()
                .filter(contact::Column::UserUuid.eq(user))
                .one(db)
                .await
        }
        None => Ok(None),
    }
}

/// The email address and name to write to.
pub async fn email<C: ConnectionTrait>(
    db: &C,
    recipient: &Recipient,
) -> Result<Option<(String, Option<String>)>, DbErr> {
    if let Some(email) = &recipient.email {
        return Ok(Some((email.clone(), recipient.name.clone())));
    }
    Ok(contact_of(db, recipient)
        .await?
        .map(|c| (c.email, c.name.or(recipient.name.clone()))))
}

/// The phone number to text.
pub async fn phone<C: ConnectionTrait>(
    db: &C,
    recipient: &Recipient,
) -> Result<Option<String>, DbErr> {
    if let Some(phone) = &recipient.phone {
        return Ok(Some(phone.clone()));
    }
    Ok(contact_of(db, recipient).await?.and_then(|c| c.phone))
}
