use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// The outbox and the consumers' idempotency claims, as every service
    /// has them; the outbox relay's poll index.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(dayone_broker::schema::MESSAGING_TABLES)
            .await?;
        db.execute_unprepared(dayone_broker::schema::OUTBOX_PENDING_BY_ID)
            .await?;
        Ok(())
    }
}
