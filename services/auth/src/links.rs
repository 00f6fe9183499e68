//! Single-use emailed links (password reset, email verification): the token
//! goes out in the email, only its hash stays here.

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbBackend, DbErr, Set, Statement};

use crate::entities::{one_time_token, user};
use crate::secrets::{random_token, sha256_hex};

/// Issues a token for `user` and `purpose`, valid for `ttl_secs`.
pub async fn issue<C: ConnectionTrait>(
    txn: &C,
    user: &user::Model,
    purpose: &str,
    ttl_secs: u64,
) -> Result<String, DbErr> {
    let token = random_token();
    one_time_token::ActiveModel {
        user_id: Set(user.id),
        purpose: Set(purpose.to_owned()),
        token_hash: Set(sha256_hex(&token)),
        expires_at: Set(Utc::now() + Duration::seconds(ttl_secs as i64)),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(token)
}

/// Uses up the token (atomically: of two concurrent uses one wins) and
/// returns the internal id of its user, or `None` when it is unknown,
/// expired, already used or for another purpose.
pub async fn consume<C: ConnectionTrait>(
    txn: &C,
    purpose: &str,
    token: &str,
) -> Result<Option<i64>, DbErr> {
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE one_time_tokens SET used_at = now() \
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL \
               AND expires_at > now() AND deleted_at IS NULL \
             RETURNING user_id",
            [sha256_hex(token).into(), purpose.into()],
        ))
        .await?;
    row.map(|r| r.try_get::<i64>("", "user_id")).transpose()
}
