use dayone_model::schema::{belongs_to_user, create_base_table};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// An account's passkeys (WebAuthn credentials): the public key and
    /// counter as the verifier keeps them, found at sign-in by credential id.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        create_base_table(db, "passkeys", |t| {
            belongs_to_user(t, "passkeys");
            t.col(ColumnDef::new("name").text().not_null())
                .col(
                    ColumnDef::new("credential_id")
                        .text()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new("credential").json_binary().not_null())
                .col(
                    ColumnDef::new("last_used_at")
                        .timestamp_with_time_zone()
                        .null(),
                );
        })
        .await?;
        db.execute_unprepared("CREATE INDEX passkeys_user_idx ON passkeys (user_id)")
            .await?;
        Ok(())
    }
}
