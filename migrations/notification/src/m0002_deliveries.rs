use dayone_model::schema::create_base_table;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Push tokens, per user. A token reported unregistered by the
        // provider is soft-deleted.
        create_base_table(db, "devices", |t| {
            t.col(ColumnDef::new("user_uuid").uuid().not_null())
                .col(ColumnDef::new("platform").text().not_null())
                .col(ColumnDef::new("token").text().not_null())
                .check(Expr::col("platform").is_in(["ios", "android"]));
        })
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX devices_token_live_key ON devices (platform, token) WHERE deleted_at IS NULL;
             CREATE INDEX devices_user_idx ON devices (user_uuid) WHERE deleted_at IS NULL;",
        )
        .await?;

        // Promotional opt-outs per channel and quiet hours. Transactional
        // messages ignore both by design.
        create_base_table(db, "preferences", |t| {
            t.col(ColumnDef::new("user_uuid").uuid().not_null().unique_key())
                .col(
                    ColumnDef::new("email_promotional")
                        .boolean()
                        .not_null()
                        .default(true),
                )
                .col(
                    ColumnDef::new("sms_promotional")
                        .boolean()
                        .not_null()
                        .default(true),
                )
                .col(
                    ColumnDef::new("push_promotional")
                        .boolean()
                        .not_null()
                        .default(true),
                )
                .col(ColumnDef::new("quiet_start").time().null())
                .col(ColumnDef::new("quiet_end").time().null())
                .col(ColumnDef::new("timezone").text().not_null().default("UTC"));
        })
        .await?;

        // One row per accepted job; `uuid` is the job's envelope id, so a
        // redelivered job finds its row.
        create_base_table(db, "notifications", |t| {
            t.col(ColumnDef::new("channel").text().not_null())
                .col(ColumnDef::new("category").text().not_null())
                .col(ColumnDef::new("template").text().not_null())
                .col(ColumnDef::new("recipient_user_uuid").uuid().null())
                .col(ColumnDef::new("job").json_binary().not_null())
                .col(ColumnDef::new("status").text().not_null());
        })
        .await?;
        db.execute_unprepared(
            "CREATE INDEX notifications_recipient_idx ON notifications (recipient_user_uuid)",
        )
        .await?;

        // Per recipient address (an email, a phone, a device): its status and
        // the time before which it must not be sent (quiet hours).
        create_base_table(db, "deliveries", |t| {
            t.col(ColumnDef::new("notification_id").big_integer().not_null())
                .col(ColumnDef::new("channel").text().not_null())
                .col(ColumnDef::new("address").text().not_null())
                .col(ColumnDef::new("status").text().not_null())
                .col(ColumnDef::new("attempts").integer().not_null().default(0))
                .col(ColumnDef::new("last_error").text().null())
                .col(ColumnDef::new("provider_id").text().null())
                .col(
                    ColumnDef::new("not_before")
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(ColumnDef::new("sent_at").timestamp_with_time_zone().null())
                .foreign_key(
                    ForeignKey::create()
                        .from("deliveries", "notification_id")
                        .to("notifications", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                );
        })
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX deliveries_key ON deliveries (notification_id, channel, address);
             CREATE INDEX deliveries_deferred_idx ON deliveries (not_before) WHERE status = 'deferred';",
        )
        .await?;

        // Every try at a provider, with its outcome.
        create_base_table(db, "delivery_attempts", |t| {
            t.col(ColumnDef::new("delivery_id").big_integer().not_null())
                .col(ColumnDef::new("attempt").integer().not_null())
                .col(ColumnDef::new("outcome").text().not_null())
                .col(ColumnDef::new("error").text().null())
                .col(ColumnDef::new("duration_ms").integer().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from("delivery_attempts", "delivery_id")
                        .to("deliveries", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                );
        })
        .await?;
        Ok(())
    }
}
