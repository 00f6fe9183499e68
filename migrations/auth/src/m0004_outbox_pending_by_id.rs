use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The outbox relay's poll reads only the pending rows, in id order.
        manager
            .get_connection()
            .execute_unprepared(dayone_broker::schema::OUTBOX_PENDING_BY_ID)
            .await?;
        Ok(())
    }
}
