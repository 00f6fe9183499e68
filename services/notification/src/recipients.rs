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

/// Where and how to write to someone.
pub struct Reach {
    pub address: String,
    pub name: Option<String>,
    /// The user's language (BCP 47), when the contact has one.
    pub locale: Option<String>,
}

/// The email address, name and language to write to. A user's contact is
/// read even when the job has the address: its locale picks the wording.
pub async fn email<C: ConnectionTrait>(
    db: &C,
    recipient: &Recipient,
) -> Result<Option<Reach>, DbErr> {
    let contact = contact_of(db, recipient).await?;
    let locale = contact.as_ref().and_then(|c| c.locale.clone());
    Ok(match (&recipient.email, contact) {
        (Some(email), contact) => Some(Reach {
            address: email.clone(),
            name: recipient.name.clone().or(contact.and_then(|c| c.name)),
            locale,
        }),
        (None, Some(c)) => Some(Reach {
            address: c.email,
            name: c.name.or(recipient.name.clone()),
            locale,
        }),
        (None, None) => None,
    })
}

/// The phone number and language to text.
pub async fn phone<C: ConnectionTrait>(
    db: &C,
    recipient: &Recipient,
) -> Result<Option<Reach>, DbErr> {
    let contact = contact_of(db, recipient).await?;
    let (name, locale) = name_and_locale(recipient, contact.as_ref());
    Ok(recipient
        .phone
        .clone()
        .or(contact.and_then(|c| c.phone))
        .map(|address| Reach {
            address,
            name,
            locale,
        }))
}

/// A user's name and language, for messages to their devices.
pub async fn person<C: ConnectionTrait>(
    db: &C,
    recipient: &Recipient,
) -> Result<(Option<String>, Option<String>), DbErr> {
    let contact = contact_of(db, recipient).await?;
    Ok(name_and_locale(recipient, contact.as_ref()))
}

/// The job's name for the recipient, else the contact's, and the contact's
/// language.
fn name_and_locale(
    recipient: &Recipient,
    contact: Option<&contact::Model>,
) -> (Option<String>, Option<String>) {
    (
        recipient
            .name
            .clone()
            .or_else(|| contact.and_then(|c| c.name.clone())),
        contact.and_then(|c| c.locale.clone()),
    )
}
