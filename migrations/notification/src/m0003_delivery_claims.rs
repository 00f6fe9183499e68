use dayone_model::schema::create_idempotency_keys_table;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // A delivery is claimed (`sending`, with a lease) before its provider
        // is called, so two copies of one job never both call it; a claim
        // whose worker died is taken over once the lease has run out.
        db.execute_unprepared(
            "ALTER TABLE deliveries ADD COLUMN lease_until TIMESTAMPTZ NULL;
             CREATE INDEX deliveries_sending_idx ON deliveries (lease_until) WHERE status = 'sending';",
        )
        .await?;

        // Idempotency-Key on POST /v1/notifications: the first answer to a
        // key, per caller (an admin's uuid, or the nil uuid for the service
        // token), given again to a retry with the same body.
        create_idempotency_keys_table(db).await
    }
}
