use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// An account an admin disabled: it cannot sign in until enabled again
    /// (its sessions ended when it was disabled).
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE users ADD COLUMN disabled_at timestamptz")
            .await?;
        Ok(())
    }
}
