//! `notification.user-events`: keeps `contacts` in step with auth's users.
//! The contact change and the processed-message record commit together, so
//! a redelivered event changes nothing. A deleted user's contact, devices,
//! preferences, inbox and open digests go too: nothing is sent to a
//! deleted account.

use dayone_broker::{Handler, HandlerError, Incoming, Outcome, idempotency};
use dayone_model::messages::users::{UserDeleted, UserRegistered, UserUpdated};
use dayone_model::{Contract, RawEnvelope};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait, Set,
    Statement, TransactionTrait,
};
use tracing::{debug, info};
use uuid::Uuid;

use crate::entities::contact;

/// The name under which this consumer records processed messages.
pub const CONSUMER: &str = "notification.contacts";

pub struct UserEvents {
    pub db: DatabaseConnection,
}

impl Handler for UserEvents {
    async fn handle(&self, message: Incoming) -> Outcome {
        self.apply(message.envelope).await.into()
    }
}

fn transient(e: sea_orm::DbErr) -> HandlerError {
    HandlerError::Transient(e.into())
}

fn malformed(e: impl Into<anyhow::Error>) -> HandlerError {
    HandlerError::Permanent(e.into())
}

/// A user's contact details as an event carries them.
struct Details {
    user: Uuid,
    email: String,
    name: Option<String>,
    phone: Option<String>,
    locale: Option<String>,
}

/// Both events carry the whole of a user's contact details.
macro_rules! details_from {
    ($($event:ty),*) => {$(
        impl From<$event> for Details {
            fn from(u: $event) -> Self {
                Self {
                    user: u.user_uuid,
                    email: u.email,
                    name: u.name,
                    phone: u.phone,
                    locale: u.locale,
                }
            }
        }
    )*};
}

details_from!(UserRegistered, UserUpdated);

async fn upsert(txn: &DatabaseTransaction, details: Details) -> Result<(), HandlerError> {
    contact::Entity::insert(contact::ActiveModel {
        user_uuid: Set(details.user),
        email: Set(details.email),
        name: Set(details.name),
        phone: Set(details.phone),
        // Only a tag the templates can look up is kept.
        locale: Set(details
            .locale
            .as_deref()
            .and_then(dayone_model::locale::normalize)),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(contact::Column::UserUuid)
            .update_columns([
                contact::Column::Email,
                contact::Column::Name,
                contact::Column::Phone,
                contact::Column::Locale,
            ])
            .to_owned(),
    )
    .exec(txn)
    .await
    .map_err(transient)?;
    Ok(())
}

async fn forget(txn: &DatabaseTransaction, user: Uuid) -> Result<(), HandlerError> {
    for table in [
        "contacts",
        "devices",
        "preferences",
        "inbox_items",
        "digests",
    ] {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "UPDATE {table} SET deleted_at = now() WHERE user_uuid = $1 AND deleted_at IS NULL"
            ),
            [user.into()],
        ))
        .await
        .map_err(transient)?;
    }
    Ok(())
}

impl UserEvents {
    async fn apply(&self, envelope: RawEnvelope) -> Result<(), HandlerError> {
        let known = [UserRegistered::TYPE, UserUpdated::TYPE, UserDeleted::TYPE];
        if !known.contains(&envelope.kind.as_str()) {
            debug!(kind = %envelope.kind, "user event not used by notification");
            return Ok(());
        }
        let txn = self.db.begin().await.map_err(transient)?;
        if !idempotency::claim(&txn, CONSUMER, envelope.id)
            .await
            .map_err(transient)?
        {
            debug!(message_id = %envelope.id, "already applied");
            return Ok(());
        }
        match envelope.kind.as_str() {
            UserRegistered::TYPE => {
                let u = envelope
                    .decode::<UserRegistered>()
                    .map_err(malformed)?
                    .payload;
                let user = u.user_uuid;
                upsert(&txn, Details::from(u)).await?;
                info!(user_id = %user, "contact recorded");
            }
            UserUpdated::TYPE => {
                let u = envelope.decode::<UserUpdated>().map_err(malformed)?.payload;
                let user = u.user_uuid;
                upsert(&txn, Details::from(u)).await?;
                info!(user_id = %user, "contact updated");
            }
            _ => {
                let u = envelope.decode::<UserDeleted>().map_err(malformed)?.payload;
                forget(&txn, u.user_uuid).await?;
                info!(user_id = %u.user_uuid, "contact, devices and preferences removed");
            }
        }
        txn.commit().await.map_err(transient)?;
        Ok(())
    }
}
