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
        create_base_table(db, "users", |t| {
            t.col(ColumnDef::new("email").text().not_null())
                .col(ColumnDef::new("password_hash").text().not_null())
                .col(ColumnDef::new("name").text().null())
                .col(ColumnDef::new("phone").text().null())
                .col(
                    ColumnDef::new("roles")
                        .array(ColumnType::Text)
                        .not_null()
                        .default(Expr::cust("ARRAY['user']::text[]")),
                )
                .col(
                    ColumnDef::new("email_verified_at")
                        .timestamp_with_time_zone()
                        .null(),
                );
        })
        .await?;
        // Emails are stored lower-cased; unique among live accounts only, so
        // a deleted account's address can register again.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX users_email_live_key ON users (email) WHERE deleted_at IS NULL",
        )
        .await?;
        Ok(())
    }
}
