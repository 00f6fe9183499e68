use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// A digest is written with the template version its events were
    /// accepted with: a publish inside a window starts another digest for
    /// the events after it, and never changes the one already gathering.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "ALTER TABLE digests ADD COLUMN template_version integer NOT NULL DEFAULT 1;
                 ALTER TABLE digests ALTER COLUMN template_version DROP DEFAULT;
                 DROP INDEX digests_open;
                 CREATE UNIQUE INDEX digests_open ON digests (user_uuid, template_id, channel, template_version) \
                   WHERE sent_at IS NULL;",
            )
            .await?;
        Ok(())
    }
}
