use dayone_model::schema::create_base_table;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // A template's digest window (promotional only: transactional
        // messages are never held back) and its topic, which users opt out
        // of per channel.
        db.execute_unprepared(
            "ALTER TABLE templates ADD COLUMN digest_secs integer NULL \
               CHECK (digest_secs IS NULL OR (digest_secs BETWEEN 1 AND 86400 AND category = 'promotional'));
             ALTER TABLE templates ADD COLUMN topic text NULL;",
        )
        .await?;
        // One open digest per user, template and channel: the events that
        // arrive inside its window, sent as one message when it ends.
        create_base_table(db, "digests", |t| {
            t.col(ColumnDef::new("user_uuid").uuid().not_null())
                .col(ColumnDef::new("template_id").big_integer().not_null())
                .col(ColumnDef::new("channel").text().not_null())
                .col(
                    ColumnDef::new("window_ends_at")
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new("sent_at").timestamp_with_time_zone().null())
                .foreign_key(
                    ForeignKey::create()
                        .from("digests", "template_id")
                        .to("templates", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                );
        })
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX digests_open ON digests (user_uuid, template_id, channel) WHERE sent_at IS NULL;
             CREATE INDEX digests_due ON digests (window_ends_at) WHERE sent_at IS NULL;
             -- Each event's variables; its notification (status `digested`)
             -- is the key, so a redelivered event joins once.
             CREATE TABLE digest_items (
                 id bigserial PRIMARY KEY,
                 digest_id bigint NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
                 notification_id bigint NOT NULL UNIQUE REFERENCES notifications (id) ON DELETE CASCADE,
                 variables jsonb NOT NULL,
                 created_at timestamptz NOT NULL DEFAULT now()
             );
             CREATE INDEX digest_items_digest ON digest_items (digest_id, id);
             -- Opt-outs per topic and channel (promotional messages only).
             CREATE TABLE topic_preferences (
                 id bigserial PRIMARY KEY,
                 user_uuid uuid NOT NULL,
                 topic text NOT NULL,
                 channel text NOT NULL,
                 enabled boolean NOT NULL,
                 updated_at timestamptz NOT NULL DEFAULT now(),
                 UNIQUE (user_uuid, topic, channel)
             );",
        )
        .await?;
        Ok(())
    }
}
