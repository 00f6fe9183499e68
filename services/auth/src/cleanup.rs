//! `auth.cleanup`, a nightly scheduled task: deletes what expired or
//! ended longer ago than `housekeeping.retention_days` (sessions with their
//! refresh tokens, one-time tokens, OTP codes) and the messaging
//! housekeeping every service does.

use dayone_broker::tasks::messaging_housekeeping;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::Value;

/// The deletions, each `(table, statement)`; `$1` is the retention in days.
const DELETIONS: [(&str, &str); 4] = [
    // Refresh tokens of sessions that stay go when they expired long ago
    // (a reused token that old is simply unknown, not evidence of theft).
    (
        "refresh_tokens",
        "DELETE FROM refresh_tokens WHERE expires_at < now() - make_interval(days => $1)",
    ),
    // A session's remaining refresh tokens go with it (ON DELETE CASCADE).
    (
        "sessions",
        "DELETE FROM sessions WHERE expires_at < now() - make_interval(days => $1) \
         OR revoked_at < now() - make_interval(days => $1)",
    ),
    (
        "one_time_tokens",
        "DELETE FROM one_time_tokens WHERE expires_at < now() - make_interval(days => $1)",
    ),
    (
        "otp_codes",
        "DELETE FROM otp_codes WHERE expires_at < now() - make_interval(days => $1)",
    ),
];

pub async fn cleanup(
    db: &DatabaseConnection,
    retention_days: i32,
) -> anyhow::Result<serde_json::Map<String, Value>> {
    let mut counts = messaging_housekeeping(db, retention_days).await?;
    for (table, sql) in DELETIONS {
        let deleted = db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [retention_days.into()],
            ))
            .await?
            .rows_affected();
        counts.insert(table.into(), deleted.into());
    }
    let summary = Value::Object(counts.clone());
    tracing::info!(deleted = %summary, "auth cleanup done");
    Ok(counts)
}
