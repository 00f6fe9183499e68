use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A delivery's row is updated at least twice (claimed, then its
        // outcome), and its notification's once. PostgreSQL can make those
        // heap-only updates, with no index entry written, when no indexed
        // column changes and the page has room. So `status` and
        // `lease_until` leave the indexes: the deferred sweep finds its rows
        // by `not_before` alone (only deferred deliveries have one), and the
        // index of claims by lease had no reader. Pages are left a third
        // (deliveries) and a fifth (notifications) free for the new versions.
        manager
            .get_connection()
            .execute_unprepared(
                "DROP INDEX deliveries_sending_idx;
                 DROP INDEX deliveries_deferred_idx;
                 CREATE INDEX deliveries_deferred_idx ON deliveries (not_before) WHERE not_before IS NOT NULL;
                 ALTER TABLE deliveries SET (fillfactor = 65);
                 ALTER TABLE notifications SET (fillfactor = 80);",
            )
            .await?;
        Ok(())
    }
}
