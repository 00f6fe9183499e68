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
        create_base_table(db, "products", |t| {
            t.col(ColumnDef::new("name").text().not_null())
                .col(ColumnDef::new("description").text().not_null().default(""))
                .col(ColumnDef::new("price_cents").big_integer().not_null())
                .col(
                    ColumnDef::new("currency")
                        .char_len(3)
                        .not_null()
                        .default("USD"),
                )
                .col(ColumnDef::new("stock").integer().not_null().default(0))
                .check(Expr::col("price_cents").gte(0))
                .check(Expr::col("stock").gte(0));
        })
        .await
    }
}
