//! Email verification: the link sent at registration (and again on
//! request) confirms the account's address. Each function owns its
//! transaction and outbox write; `routes/email.rs` parses, throttles, calls
//! and answers.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbBackend, DbErr, Set, Statement, TransactionTrait,
};

use crate::entities::one_time_token::EMAIL_VERIFICATION;
use crate::entities::user;
use crate::state::AuthState;
use crate::{links, notify, users};

/// Uses up the verification link's `token` and marks its account's address
/// verified (once; a verified address stays as it is): the account, or
/// `None` when the token is unknown, used or expired.
pub async fn verify(state: &AuthState, token: &str) -> Result<Option<user::Model>, DbErr> {
    let txn = state.db.begin().await?;
    let Some(user_id) = links::consume(&txn, EMAIL_VERIFICATION, token).await? else {
        return Ok(None);
    };
    let Some(user) = users::find_by_id(&txn, user_id).await? else {
        return Ok(None);
    };
    if user.email_verified_at.is_none() {
        let mut change: user::ActiveModel = user.clone().into();
        change.email_verified_at = Set(Some(Utc::now()));
        change.update(&txn).await?;
    }
    txn.commit().await?;
    state.profiles.forget(user.uuid);
    Ok(Some(user))
}

/// Sends `user` a new verification link; the older ones stop working.
pub async fn resend(state: &AuthState, user: &user::Model) -> Result<(), DbErr> {
    let txn = state.db.begin().await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE one_time_tokens SET used_at = now() \
         WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
        [user.id.into(), EMAIL_VERIFICATION.into()],
    ))
    .await?;
    notify::verification_email(state, &txn, user).await?;
    txn.commit().await?;
    state.outbox.wake();
    Ok(())
}
