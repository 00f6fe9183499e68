//! Idempotent consumers: a handler claims the message id inside the
//! transaction that carries its effect. The claim and the effect commit
//! together or not at all, so a redelivered message finds its claim and the
//! handler skips it.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use uuid::Uuid;

/// Records that `consumer` handled `message_id`; `false` when it already
/// had, in which case the caller must skip the effect.
pub async fn claim<C: ConnectionTrait>(
    txn: &C,
    consumer: &str,
    message_id: Uuid,
) -> Result<bool, DbErr> {
    let result = txn
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO processed_messages (consumer, message_id) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
            [consumer.into(), message_id.into()],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Forgets claims older than `days`; redeliveries come within minutes, so a
/// week of history is plenty.
pub async fn forget_older_than<C: ConnectionTrait>(db: &C, days: i32) -> Result<u64, DbErr> {
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM processed_messages WHERE processed_at < now() - make_interval(days => $1)",
            [days.into()],
        ))
        .await?;
    Ok(result.rows_affected())
}
