use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// The language messages to the account are written in (BCP 47, as
    /// `dayone_model::locale::normalize` spells it); `NULL`: the template's
    /// default.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE users ADD COLUMN locale text")
            .await?;
        Ok(())
    }
}
