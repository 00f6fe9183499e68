//! One-time codes sent by SMS: login codes (`otp_codes` rows for a phone)
//! and the codes that confirm a new phone number. Each function owns its
//! transaction and outbox write; the handlers in `routes/otp.rs` and
//! `routes/phone.rs` parse, throttle, call and answer.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbBackend, DbErr, Set, Statement, TransactionTrait,
};
use secrecy::ExposeSecret;

use crate::entities::{otp_code, user};
use crate::secrets::{otp_code, otp_hash};
use crate::state::AuthState;
use crate::{notify, users};

/// Stores a new code for `user`, hashed with `hashed_as` (the number, or a
/// purpose before it), and queues its SMS to `phone`, all in `txn`.
async fn send_code<C: ConnectionTrait>(
    state: &AuthState,
    txn: &C,
    user: &user::Model,
    phone: &str,
    hashed_as: &str,
) -> Result<(), DbErr> {
    let code = otp_code();
    otp_code::ActiveModel {
        user_id: Set(user.id),
        phone: Set(phone.to_owned()),
        code_hash: Set(otp_hash(
            state.settings.otp_pepper.expose_secret(),
            hashed_as,
            &code,
        )),
        expires_at: Set(Utc::now() + chrono::Duration::seconds(state.settings.otp.ttl_secs as i64)),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    notify::login_code(state, txn, user, phone, code).await
}

/// Sends `user` a new login code for `phone`; only the newest code works.
pub async fn send_login_code(
    state: &AuthState,
    user: &user::Model,
    phone: &str,
) -> Result<(), DbErr> {
    let txn = state.db.begin().await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE otp_codes SET used_at = now() WHERE phone = $1 AND used_at IS NULL",
        [phone.into()],
    ))
    .await?;
    send_code(state, &txn, user, phone, phone).await?;
    txn.commit().await?;
    state.outbox.wake();
    Ok(())
}

/// Uses up the login code `code` for `phone`: its account, or `None` when
/// the code is wrong, used or expired.
pub async fn redeem_login_code(
    state: &AuthState,
    phone: &str,
    code: &str,
) -> Result<Option<user::Model>, DbErr> {
    let hash = otp_hash(state.settings.otp_pepper.expose_secret(), phone, code);
    let used = state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE otp_codes SET used_at = now() \
             WHERE phone = $1 AND code_hash = $2 AND used_at IS NULL AND expires_at > now() \
             RETURNING user_id",
            [phone.into(), hash.into()],
        ))
        .await?;
    let Some(user_id) = used
        .map(|row| row.try_get::<i64>("", "user_id"))
        .transpose()?
    else {
        return Ok(None);
    };
    users::find_by_id(&state.db, user_id).await
}

/// What a phone-change code is hashed with: the purpose, then the number,
/// so a login code for the same number cannot stand in for it.
fn phone_change(phone: &str) -> String {
    format!("phone-change:{phone}")
}

/// Sends `user` a code that confirms `phone` as their new number; only the
/// account's newest code works.
pub async fn send_phone_change_code(
    state: &AuthState,
    user: &user::Model,
    phone: &str,
) -> Result<(), DbErr> {
    let txn = state.db.begin().await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE otp_codes SET used_at = now() WHERE user_id = $1 AND used_at IS NULL",
        [user.id.into()],
    ))
    .await?;
    send_code(state, &txn, user, phone, &phone_change(phone)).await?;
    txn.commit().await?;
    state.outbox.wake();
    Ok(())
}

/// Uses up `user`'s phone-change code for `phone`: whether it was right.
pub async fn redeem_phone_change_code(
    state: &AuthState,
    user: &user::Model,
    phone: &str,
    code: &str,
) -> Result<bool, DbErr> {
    let hash = otp_hash(
        state.settings.otp_pepper.expose_secret(),
        &phone_change(phone),
        code,
    );
    let used = state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE otp_codes SET used_at = now() \
             WHERE user_id = $1 AND phone = $2 AND code_hash = $3 \
               AND used_at IS NULL AND expires_at > now() \
             RETURNING id",
            [user.id.into(), phone.into(), hash.into()],
        ))
        .await?;
    Ok(used.is_some())
}
