use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// Admin actions reported by the other services (`audit.admin-acted`):
    /// which service did it, and the event's id, so a redelivered event is
    /// recorded once. An admin who never signed in to the console has no
    /// email here (empty).
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "ALTER TABLE audit_log
                    ADD COLUMN service text NOT NULL DEFAULT 'ops',
                    ADD COLUMN event_id uuid UNIQUE;
                CREATE INDEX audit_log_by_actor ON audit_log (actor_uuid, id DESC);",
            )
            .await?;
        Ok(())
    }
}
