//! The auth service's schema, applied by `auth migrate`.

use sea_orm_migration::prelude::*;

mod m0001_users;
mod m0002_sessions_and_tokens;
mod m0003_users_changed;
mod m0004_outbox_pending_by_id;
mod m0005_users_disabled;
mod m0006_api_keys;
mod m0007_totp;
mod m0008_identities;
mod m0009_passkeys;
mod m0010_user_locale;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_users::Migration),
            Box::new(m0002_sessions_and_tokens::Migration),
            Box::new(m0003_users_changed::Migration),
            Box::new(m0004_outbox_pending_by_id::Migration),
            Box::new(m0005_users_disabled::Migration),
            Box::new(m0006_api_keys::Migration),
            Box::new(m0007_totp::Migration),
            Box::new(m0008_identities::Migration),
            Box::new(m0009_passkeys::Migration),
            Box::new(m0010_user_locale::Migration),
        ]
    }
}
