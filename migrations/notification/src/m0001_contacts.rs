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
        // The local projection of auth's users (from `user.*` events): who
        // can be reached where, without asking auth at send time.
        create_base_table(db, "contacts", |t| {
            t.col(ColumnDef::new("user_uuid").uuid().not_null().unique_key())
                .col(ColumnDef::new("email").text().not_null())
                .col(ColumnDef::new("name").text().null())
                .col(ColumnDef::new("phone").text().null());
        })
        .await
    }
}
