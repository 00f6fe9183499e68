//! `auth create-admin --email E --password-stdin`: creates an admin account
//! from the command line (`make admin` wraps it). The password is read from
//! stdin so it never shows in `ps` or the shell history. The account's
//! `user.registered` event waits in the outbox for the running service's
//! relay, like any other.

use std::io::Read;

use anyhow::{Context, bail};
use dayone_broker::Outbox;

use crate::Settings;
use crate::users::{CreateUserError, NewUser, create_user};

/// Creates the admin `email` with the password read from stdin.
pub async fn create_admin(settings: &Settings, email: &str) -> anyhow::Result<()> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("Failed to read the password from stdin")?;
    let password = password.trim_end_matches(['\n', '\r']).to_owned();
    if password.chars().count() < 8 {
        bail!("the password must be at least 8 characters");
    }
    let hash = crate::passwords::hash(password, settings.auth.bcrypt_cost).await?;
    let db = dayone_web::server::connect_database(&settings.common.database, "auth").await?;
    let outbox = Outbox::new();
    let user = create_user(
        &db,
        &outbox,
        NewUser {
            email: email.to_owned(),
            password_hash: hash,
            name: None,
            phone: None,
            locale: None,
            roles: vec!["user".into(), "admin".into()],
        },
    )
    .await;
    match user {
        Ok(user) => println!("created admin {} ({})", user.email, user.uuid),
        Err(CreateUserError::EmailTaken) => {
            bail!("an account with the email {email} exists already")
        }
        Err(e) => return Err(e.into()),
    }
    // The running auth service's outbox relay publishes user.registered.
    Ok(())
}
