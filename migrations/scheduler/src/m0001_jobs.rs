use dayone_model::schema::create_base_table;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(dayone_broker::schema::MESSAGING_TABLES)
            .await?;
        // Job definitions: a cron expression in a time zone and the task
        // message it publishes.
        create_base_table(db, "jobs", |t| {
            t.col(ColumnDef::new("name").text().not_null().unique_key())
                .col(ColumnDef::new("schedule").text().not_null())
                .col(ColumnDef::new("timezone").text().not_null().default("UTC"))
                .col(ColumnDef::new("task").text().not_null())
                .col(ColumnDef::new("paused").boolean().not_null().default(false));
        })
        .await
    }
}
