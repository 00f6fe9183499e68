//! Notification jobs the auth service asks for, written to the outbox in the
//! transaction that makes them necessary.

use dayone_model::Envelope;
use dayone_model::messages::notifications::{
    EmailJob, EmailTemplate, Recipient, TransactionalSms, TransactionalSmsTemplate,
};
use sea_orm::{ConnectionTrait, DbErr};

use crate::entities::user;
use crate::state::AuthState;

fn recipient(user: &user::Model) -> Recipient {
    Recipient {
        user_uuid: Some(user.uuid),
        email: Some(user.email.clone()),
        phone: user.phone.clone(),
        name: user.name.clone(),
    }
}

pub async fn email<C: ConnectionTrait>(
    state: &AuthState,
    txn: &C,
    user: &user::Model,
    template: EmailTemplate,
) -> Result<(), DbErr> {
    let job = Envelope::new(EmailJob {
        recipient: recipient(user),
        template,
    });
    state.outbox.enqueue(txn, &job).await
}

pub async fn login_code<C: ConnectionTrait>(
    state: &AuthState,
    txn: &C,
    user: &user::Model,
    phone: &str,
    code: String,
) -> Result<(), DbErr> {
    let job = Envelope::new(TransactionalSms {
        recipient: Recipient {
            phone: Some(phone.to_owned()),
            ..recipient(user)
        },
        template: TransactionalSmsTemplate::LoginCode {
            code,
            expires_in_minutes: (state.settings.otp.ttl_secs / 60).max(1) as u32,
        },
    });
    state.outbox.enqueue(txn, &job).await
}

/// `{public_url}/{page}?token=...`: the page a client app serves for a link.
pub fn link(state: &AuthState, page: &str, token: &str) -> String {
    format!(
        "{}/{page}?token={token}",
        state.public_url.trim_end_matches('/')
    )
}
