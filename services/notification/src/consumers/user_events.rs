//! `notification.user-events`: keeps `contacts` in step with auth's users.
//! The contact change and the processed-message record commit together, so
//! a redelivered event changes nothing.

use dayone_broker::{Handler, HandlerError, Incoming, Outcome, idempotency};
use dayone_model::messages::users::UserRegistered;
use dayone_model::{Contract, RawEnvelope};
use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseConnection, EntityTrait, Set, TransactionTrait};
use tracing::{debug, info};

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

impl UserEvents {
    async fn apply(&self, envelope: RawEnvelope) -> Result<(), HandlerError> {
        if envelope.kind != UserRegistered::TYPE {
            debug!(kind = %envelope.kind, "user event not used by notification");
            return Ok(());
        }
        let event = envelope
            .decode::<UserRegistered>()
            .map_err(|e| HandlerError::Permanent(e.into()))?;
        let transient = |e: sea_orm::DbErr| HandlerError::Transient(e.into());
        let txn = self.db.begin().await.map_err(transient)?;
        if !idempotency::claim(&txn, CONSUMER, event.id)
            .await
            .map_err(transient)?
        {
            debug!(message_id = %event.id, "already applied");
            return Ok(());
        }
        let user = event.payload;
        contact::Entity::insert(contact::ActiveModel {
            user_uuid: Set(user.user_uuid),
            email: Set(user.email),
            name: Set(user.name),
            phone: Set(user.phone),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::column(contact::Column::UserUuid)
                .update_columns([
                    contact::Column::Email,
                    contact::Column::Name,
                    contact::Column::Phone,
                ])
                .to_owned(),
        )
        .exec(&txn)
        .await
        .map_err(transient)?;
        txn.commit().await.map_err(transient)?;
        info!(user_id = %user.user_uuid, "contact recorded");
        Ok(())
    }
}
