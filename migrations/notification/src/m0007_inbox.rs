use dayone_model::schema::create_base_table;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // The in-app inbox: one item per in-app notification (its
        // `notification_id` makes a redelivered job add nothing), removed with
        // it by retention. `uuid` is a UUIDv7, so it orders the items by time
        // and is the list's cursor and the stream's event id.
        create_base_table(db, "inbox_items", |t| {
            t.col(ColumnDef::new("user_uuid").uuid().not_null())
                .col(
                    ColumnDef::new("notification_id")
                        .big_integer()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new("template").text().not_null())
                .col(ColumnDef::new("category").text().not_null())
                .col(ColumnDef::new("title").text().not_null())
                .col(ColumnDef::new("body").text().not_null())
                .col(ColumnDef::new("read_at").timestamp_with_time_zone().null())
                .col(
                    ColumnDef::new("archived_at")
                        .timestamp_with_time_zone()
                        .null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("inbox_items", "notification_id")
                        .to("notifications", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                );
        })
        .await?;
        db.execute_unprepared(
            "CREATE INDEX inbox_items_by_user ON inbox_items (user_uuid, uuid DESC) \
               WHERE deleted_at IS NULL AND archived_at IS NULL;
             CREATE INDEX inbox_items_unread ON inbox_items (user_uuid, uuid DESC) \
               WHERE deleted_at IS NULL AND archived_at IS NULL AND read_at IS NULL;
             CREATE INDEX inbox_items_archived ON inbox_items (user_uuid, uuid DESC) \
               WHERE deleted_at IS NULL AND archived_at IS NOT NULL;",
        )
        .await?;
        Ok(())
    }
}
