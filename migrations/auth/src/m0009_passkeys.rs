use dayone_model::schema::create_base_table;
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
            t.col(ColumnDef::new("user_id").big_integer().not_null())
                .col(ColumnDef::new("name").text().not_null())
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
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("passkeys", "user_id")
                        .to("users", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                );
        })
        .await?;
        db.execute_unprepared("CREATE INDEX passkeys_user_idx ON passkeys (user_id)")
            .await?;
        Ok(())
    }
}
