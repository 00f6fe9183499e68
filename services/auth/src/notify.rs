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

/// A new email-verification link for `user`, emailed (with the rest of
/// `txn`).
pub async fn verification_email<C: ConnectionTrait>(
    state: &AuthState,
    txn: &C,
    user: &user::Model,
) -> Result<(), DbErr> {
    let token = crate::links::issue(
        txn,
        user,
        crate::entities::one_time_token::EMAIL_VERIFICATION,
        state.settings.email_verification_ttl_secs,
    )
    .await?;
    let link = link(state, "verify-email", &token);
    email(state, txn, user, EmailTemplate::VerifyEmail { link }).await
}

/// `{link_base_url}/{page}?token=...`: the page a client app serves for a
/// link (`verify-email`, `reset-password`).
pub fn link(state: &AuthState, page: &str, token: &str) -> String {
    format!("{}/{page}?token={token}", state.link_base_url)
}

/// The base of emailed links: `auth.link_base_url` (the client app's URL),
/// or the gateway's `application.public_url` when it is empty, without a
/// trailing slash. Refused at start unless it is an absolute http(s) URL
/// with nothing after the path: a query or fragment would swallow the
/// `/page?token=` appended to it, and a relative link is useless in an email.
pub fn link_base(link_base_url: &str, public_url: &str) -> anyhow::Result<String> {
    let (key, value) = if link_base_url.trim().is_empty() {
        ("application.public_url", public_url)
    } else {
        ("auth.link_base_url", link_base_url)
    };
    let base = value.trim().trim_end_matches('/');
    let rest = base
        .strip_prefix("https://")
        .or_else(|| base.strip_prefix("http://"));
    let host = rest.map(|r| r.split('/').next().unwrap_or_default());
    anyhow::ensure!(
        host.is_some_and(|h| !h.is_empty())
            && !base.contains(['?', '#'])
            && !base.contains(char::is_whitespace),
        "{key} ({value:?}) must be an absolute http(s) URL without a query or fragment: \
         the base of the links auth emails"
    );
    Ok(base.to_owned())
}

#[cfg(test)]
mod tests {
    use super::link_base;

    #[test]
    fn links_use_the_client_apps_url_when_one_is_set() {
        let base = link_base(
            "https://app.example.com/account/",
            "https://api.example.com",
        );
        assert_eq!(base.unwrap(), "https://app.example.com/account");
    }

    #[test]
    fn links_fall_back_to_the_gateways_public_url() {
        let base = link_base("", "http://127.0.0.1:8080/");
        assert_eq!(base.unwrap(), "http://127.0.0.1:8080");
    }

    #[test]
    fn a_base_that_cannot_carry_a_page_and_token_is_refused_at_start() {
        for bad in [
            "app.example.com",
            "/verify",
            "ftp://app.example.com",
            "https://",
            "https://app.example.com/?ref=mail",
            "https://app.example.com/#/",
            "https://app example.com",
        ] {
            let error = link_base(bad, "http://127.0.0.1:8080").unwrap_err();
            assert!(
                error.to_string().contains("auth.link_base_url"),
                "{bad}: {error}"
            );
        }
    }
}
