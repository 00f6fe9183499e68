//! The support case, "the user says the receipt never arrived": every
//! notification to someone found by email, phone or user id (through the
//! contact projection, and by the addresses deliveries went to), each with
//! its deliveries and every attempt; and sending one again (admins).

use chrono::Utc;
use dayone_broker::Outbox;
use dayone_model::{BaseEntity, RawEnvelope};
use dayone_web::audit::AdminAct;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, ExprTrait, QueryFilter, Statement, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::deliveries::{self, JobInfo};
use crate::entities::{contact, notification};
use crate::error::NotificationError;
use crate::notifications::{self, Accepted};

/// Who `query` names: a user id, an email address or a phone number.
enum Who {
    User(Uuid),
    Address(String),
}

fn who(query: &str) -> Who {
    let query = query.trim();
    match query.parse::<Uuid>() {
        Ok(uuid) => Who::User(uuid),
        Err(_) if query.contains('@') => Who::Address(query.to_lowercase()),
        Err(_) => Who::Address(query.to_owned()),
    }
}

/// The contact `query` finds (if any) and the newest `limit` notifications
/// to them or to the address, with deliveries and attempts.
pub async fn lookup(
    db: &DatabaseConnection,
    query: &str,
    limit: u64,
) -> Result<Value, NotificationError> {
    let (found, address) = match who(query) {
        Who::User(uuid) => (
            contact::Entity::active()
                .filter(contact::Column::UserUuid.eq(uuid))
                .one(db)
                .await?,
            None,
        ),
        Who::Address(address) => (
            contact::Entity::active()
                .filter(
                    contact::Column::Email
                        .eq(address.as_str())
                        .or(contact::Column::Phone.eq(address.as_str())),
                )
                .one(db)
                .await?,
            Some(address),
        ),
    };
    let user = match who(query) {
        Who::User(uuid) => Some(uuid),
        Who::Address(_) => found.as_ref().map(|c| c.user_uuid),
    };
    // The statement leaves deleted rows out itself.
    let rows = notification::Entity::with_deleted()
        .from_raw_sql(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT * FROM notifications WHERE deleted_at IS NULL \
               AND (recipient_user_uuid = $1 \
                    OR id IN (SELECT notification_id FROM deliveries WHERE address = $2)) \
             ORDER BY id DESC LIMIT $3",
            [user.into(), address.into(), (limit as i64).into()],
        ))
        .all(db)
        .await?;
    let mut shown = Vec::with_capacity(rows.len());
    for n in rows {
        shown.push(notifications::status(db, n).await?);
    }
    Ok(json!({
        "contact": found.map(|c| json!({
            "user_uuid": c.user_uuid, "email": c.email, "phone": c.phone, "name": c.name,
        })),
        "notifications": shown,
    }))
}

/// Queues notification `uuid` again as a new notification (a new id, the
/// same job), its row and the job in the outbox in one transaction.
pub async fn resend(
    db: &DatabaseConnection,
    outbox: &Outbox,
    uuid: Uuid,
    act: &AdminAct,
) -> Result<Accepted, NotificationError> {
    let original = notification::Entity::find_by_uuid(db, uuid)
        .await?
        .ok_or(NotificationError::NotificationNotFound)?;
    let envelope: RawEnvelope =
        serde_json::from_value(original.job.clone()).map_err(anyhow::Error::new)?;
    let again = RawEnvelope {
        id: Uuid::now_v7(),
        occurred_at: Utc::now(),
        ..envelope
    };
    let body = serde_json::to_value(&again).map_err(anyhow::Error::new)?;
    let txn = db.begin().await?;
    deliveries::accept(
        &txn,
        &again,
        JobInfo {
            channel: &original.channel,
            category: &original.category,
            template: &original.template,
            recipient: original.recipient_user_uuid,
            // The same words as the first time.
            template_version: original.template_version,
        },
    )
    .await?;
    outbox
        .enqueue_raw(&txn, &again.kind, &body, again.id)
        .await?;
    act.record(&txn, outbox).await?;
    txn.commit().await?;
    outbox.wake();
    tracing::info!(notification = %again.id, resent_from = %uuid, "notification sent again");
    Ok(Accepted {
        uuid: again.id,
        status: "queued",
    })
}
