use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// What admins did: who, what, to what, when, in which request. Rows
    /// are only ever added.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE TABLE audit_log (
                    id bigserial PRIMARY KEY,
                    at timestamptz NOT NULL DEFAULT now(),
                    actor_uuid uuid NOT NULL,
                    actor_email text NOT NULL,
                    action text NOT NULL,
                    target text NOT NULL,
                    request_id text NOT NULL,
                    outcome text NOT NULL
                );
                CREATE INDEX audit_log_by_time ON audit_log (at DESC, id DESC);",
            )
            .await?;
        Ok(())
    }
}
