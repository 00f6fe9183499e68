use dayone_model::schema::create_base_table;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // `resumed_at`: ticks before it were paused, not missed (no catch-up).
        db.execute_unprepared(
            "ALTER TABLE jobs ADD COLUMN overlap TEXT NOT NULL DEFAULT 'skip', \
                              ADD COLUMN catch_up TEXT NOT NULL DEFAULT 'once', \
                              ADD COLUMN timeout_secs INTEGER NOT NULL DEFAULT 3600, \
                              ADD COLUMN resumed_at TIMESTAMPTZ",
        )
        .await?;
        // One row per fired tick. The unique (job, tick) key is what makes a
        // tick fire once across replicas: whichever inserts it publishes.
        create_base_table(db, "job_runs", |t| {
            t.col(ColumnDef::new("job_id").big_integer().not_null())
                .col(
                    ColumnDef::new("scheduled_for")
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new("trigger").text().not_null())
                .col(ColumnDef::new("status").text().not_null())
                .col(
                    ColumnDef::new("started_at")
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(
                    ColumnDef::new("finished_at")
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(ColumnDef::new("duration_ms").big_integer().null())
                .col(ColumnDef::new("error").text().null())
                .col(ColumnDef::new("worker").text().null())
                .col(ColumnDef::new("fired_by").text().not_null())
                .col(ColumnDef::new("output").json_binary().null())
                .foreign_key(
                    ForeignKey::create()
                        .from("job_runs", "job_id")
                        .to("jobs", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                );
        })
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX job_runs_tick_key ON job_runs (job_id, scheduled_for);
             CREATE INDEX job_runs_open_idx ON job_runs (job_id, status) WHERE status IN ('queued', 'running');",
        )
        .await?;
        Ok(())
    }
}
