use dayone_model::schema::{belongs_to_user, create_base_table};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// An account's identities at sign-in providers: the provider's name
    /// and its subject (`sub`, GitHub's user id), which never change, so
    /// an account is found by them and never by email.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        create_base_table(db, "identities", |t| {
            belongs_to_user(t, "identities");
            t.col(ColumnDef::new("provider").text().not_null())
                .col(ColumnDef::new("subject").text().not_null())
                .col(ColumnDef::new("email").text().null());
        })
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX identities_provider_subject_key ON identities (provider, subject)",
        )
        .await?;
        db.execute_unprepared("CREATE INDEX identities_user_idx ON identities (user_id)")
            .await?;
        Ok(())
    }
}
