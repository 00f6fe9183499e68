//! Account flows that write more than one thing: registration (the user,
//! its event and two emails), changes and deletion (with their events and
//! the sessions they end), disabling and enabling, search, and the password reset (the emailed link, the new
//! password with every session ended). Each function owns its
//! transaction and outbox write; the handlers parse, throttle, call and
//! answer.

use chrono::Utc;
use dayone_model::messages::notifications::EmailTemplate;
use dayone_model::messages::users::UserDeleted;
use dayone_model::{BaseEntity, Envelope};
use dayone_web::audit::AdminAct;
use dayone_web::paging::Page;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr, ExprTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::entities::one_time_token::PASSWORD_RESET;
use crate::entities::user;
use crate::error::AuthError;
use crate::state::AuthState;
use crate::users::{NewUser, insert_user, taken, updated_event};
use crate::{links, notify, sessions, users};

/// Creates the account with its `user.registered` event, the welcome email
/// and the verification email, in one transaction.
pub async fn register(state: &AuthState, new: NewUser) -> Result<user::Model, AuthError> {
    let txn = state.db.begin().await?;
    let user = insert_user(&txn, &state.outbox, new).await?;
    notify::email(state, &txn, &user, EmailTemplate::Welcome).await?;
    notify::verification_email(state, &txn, &user).await?;
    txn.commit().await?;
    state.outbox.wake();
    Ok(user)
}

/// Emails `user` a password-reset link.
pub async fn send_reset_link(state: &AuthState, user: &user::Model) -> Result<(), DbErr> {
    let txn = state.db.begin().await?;
    let ttl = state.settings.password_reset_ttl_secs;
    let token = links::issue(&txn, user, PASSWORD_RESET, ttl).await?;
    let template = EmailTemplate::PasswordReset {
        link: notify::link(state, "reset-password", &token),
        expires_in_minutes: (ttl / 60) as u32,
    };
    notify::email(state, &txn, user, template).await?;
    txn.commit().await?;
    state.outbox.wake();
    Ok(())
}

/// Uses up the reset link's `token`, sets `password_hash` and ends every
/// session of the account: the account, or `None` when the token is
/// unknown, used or expired.
pub async fn reset_password(
    state: &AuthState,
    token: &str,
    password_hash: String,
) -> Result<Option<user::Model>, DbErr> {
    let txn = state.db.begin().await?;
    let Some(user_id) = links::consume(&txn, PASSWORD_RESET, token).await? else {
        return Ok(None);
    };
    let Some(user) = users::find_by_id(&txn, user_id).await? else {
        return Ok(None);
    };
    let mut change: user::ActiveModel = user.clone().into();
    change.password_hash = Set(password_hash);
    change.update(&txn).await?;
    let revoked = sessions::revoke(state, &txn, &user, None, "password reset").await?;
    txn.commit().await?;
    sessions::after_revoke(state, &revoked).await;
    Ok(Some(user))
}

/// What an account change sets (`None`: keep the field).
pub struct Edit {
    pub name: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub locale: Option<Option<String>>,
    pub roles: Option<Vec<String>>,
    /// Whether the contact details change (`user.updated` goes out).
    pub contact_changed: bool,
}

/// Applies `edit` to `target`: announces a contact change, and ends the
/// account's sessions when its roles change (access tokens carry them, so
/// new ones pick the change up now rather than within 15 minutes).
pub async fn update(
    state: &AuthState,
    target: user::Model,
    edit: Edit,
    act: Option<&AdminAct>,
) -> Result<user::Model, AuthError> {
    let roles_changed = edit.roles.as_ref().is_some_and(|r| *r != target.roles);
    let mut model: user::ActiveModel = target.into();
    if let Some(name) = edit.name {
        model.name = Set(name);
    }
    if let Some(phone) = edit.phone {
        model.phone = Set(phone);
    }
    if let Some(locale) = edit.locale {
        model.locale = Set(locale);
    }
    if let Some(roles) = edit.roles {
        model.roles = Set(roles);
    }
    let txn = state.db.begin().await?;
    let updated = model
        .update(&txn)
        .await
        .map_err(|e| AuthError::from(taken(e)))?;
    if edit.contact_changed {
        state.outbox.enqueue(&txn, &updated_event(&updated)).await?;
    }
    if let Some(act) = act {
        act.record(&txn, &state.outbox).await?;
    }
    let revoked = if roles_changed {
        sessions::revoke(state, &txn, &updated, None, "roles changed").await?
    } else {
        Vec::new()
    };
    txn.commit().await?;
    state.profiles.forget(updated.uuid);
    sessions::after_revoke(state, &revoked).await;
    state.outbox.wake();
    Ok(updated)
}

/// Soft-deletes `target`, ends its sessions and announces `user.deleted`:
/// false when it was gone already.
pub async fn delete(
    state: &AuthState,
    target: &user::Model,
    act: Option<&AdminAct>,
) -> Result<bool, DbErr> {
    let txn = state.db.begin().await?;
    if !user::Entity::soft_delete(&txn, target.uuid).await? {
        return Ok(false);
    }
    if let Some(act) = act {
        act.record(&txn, &state.outbox).await?;
    }
    let revoked = sessions::revoke(state, &txn, target, None, "account deleted").await?;
    state
        .outbox
        .enqueue(
            &txn,
            &Envelope::new(UserDeleted {
                user_uuid: target.uuid,
            }),
        )
        .await?;
    txn.commit().await?;
    state.profiles.forget(target.uuid);
    sessions::after_revoke(state, &revoked).await;
    state.outbox.wake();
    Ok(true)
}

/// Disables `target` (its sessions end at once, and it cannot sign in) or
/// enables it again. An admin cannot disable their own account.
pub async fn set_disabled(
    state: &AuthState,
    act: &AdminAct,
    target: user::Model,
    disabled: bool,
) -> Result<user::Model, AuthError> {
    if disabled && target.uuid == act.actor() {
        return Err(AuthError::Forbidden("you cannot disable your own account"));
    }
    let mut model: user::ActiveModel = target.into();
    model.disabled_at = Set(disabled.then(Utc::now));
    let txn = state.db.begin().await?;
    let updated = model.update(&txn).await?;
    let revoked = if disabled {
        sessions::revoke(state, &txn, &updated, None, "account disabled").await?
    } else {
        Vec::new()
    };
    act.record(&txn, &state.outbox).await?;
    txn.commit().await?;
    state.profiles.forget(updated.uuid);
    sessions::after_revoke(state, &revoked).await;
    state.outbox.wake();
    Ok(updated)
}

/// Accounts matching `query` (an email or phone prefix, a name fragment, or
/// an exact user id), newest first: one page and the total.
pub async fn search(
    db: &DatabaseConnection,
    query: &str,
    page: Page,
) -> Result<(Vec<user::Model>, u64), DbErr> {
    let query = query.trim().to_lowercase();
    let escaped: String = query
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let prefix = format!("{escaped}%");
    let fragment = format!("%{escaped}%");
    let mut condition = Condition::any()
        .add(user::Column::Email.like(prefix.as_str()))
        .add(user::Column::Phone.like(prefix.as_str()))
        .add(Expr::expr(Func::lower(Expr::col(user::Column::Name))).like(fragment.as_str()));
    if let Ok(uuid) = query.parse::<Uuid>() {
        condition = condition.add(user::Column::Uuid.eq(uuid));
    }
    let found = user::Entity::active()
        .filter(condition)
        .order_by_desc(user::Column::Id);
    let total = found.clone().count(db).await?;
    let rows = found
        .paginate(db, page.per_page)
        .fetch_page(page.page - 1)
        .await?;
    Ok((rows, total))
}
