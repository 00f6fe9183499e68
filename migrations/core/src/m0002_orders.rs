use dayone_model::schema::{create_base_table, create_idempotency_keys_table};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "ALTER TABLE products ADD COLUMN category TEXT NOT NULL DEFAULT 'general';
             CREATE INDEX products_live_created_idx ON products (created_at DESC, uuid DESC) WHERE deleted_at IS NULL;
             CREATE INDEX products_category_idx ON products (category) WHERE deleted_at IS NULL;",
        )
        .await?;

        create_base_table(db, "orders", |t| {
            t.col(ColumnDef::new("user_uuid").uuid().not_null())
                .col(ColumnDef::new("status").text().not_null())
                .col(ColumnDef::new("currency").char_len(3).not_null())
                .col(ColumnDef::new("total_cents").big_integer().not_null())
                .col(
                    ColumnDef::new("cancelled_at")
                        .timestamp_with_time_zone()
                        .null(),
                )
                .check(Expr::col("status").is_in(["placed", "cancelled"]));
        })
        .await?;
        db.execute_unprepared("CREATE INDEX orders_user_idx ON orders (user_uuid, created_at DESC) WHERE deleted_at IS NULL")
            .await?;

        // Lines copy name and price: an order shows what was bought, at the
        // price it was bought, whatever happens to the product later.
        create_base_table(db, "order_items", |t| {
            t.col(ColumnDef::new("order_id").big_integer().not_null())
                .col(ColumnDef::new("product_id").big_integer().not_null())
                .col(ColumnDef::new("product_uuid").uuid().not_null())
                .col(ColumnDef::new("name").text().not_null())
                .col(ColumnDef::new("quantity").integer().not_null())
                .col(ColumnDef::new("unit_price_cents").big_integer().not_null())
                .check(Expr::col("quantity").gt(0))
                .foreign_key(
                    ForeignKey::create()
                        .from("order_items", "order_id")
                        .to("orders", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("order_items", "product_id")
                        .to("products", "id"),
                );
        })
        .await?;
        db.execute_unprepared("CREATE INDEX order_items_order_idx ON order_items (order_id)")
            .await?;

        // Idempotency-Key: the first answer to a key is stored and returned
        // to every retry with the same key and body.
        create_idempotency_keys_table(db).await
    }
}
