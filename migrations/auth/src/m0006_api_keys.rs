use dayone_model::schema::create_base_table;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// API keys for services and scripts: named, scoped, expiring. Only the
    /// secret's SHA-256 is kept; a rotation replaces it, a revocation ends
    /// the key for good.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        create_base_table(db, "api_keys", |t| {
            t.col(ColumnDef::new("name").text().not_null())
                .col(ColumnDef::new("scopes").json_binary().not_null())
                .col(ColumnDef::new("secret_hash").text().not_null())
                .col(ColumnDef::new("created_by").uuid().not_null())
                .col(
                    ColumnDef::new("expires_at")
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new("rotated_at")
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(
                    ColumnDef::new("revoked_at")
                        .timestamp_with_time_zone()
                        .null(),
                );
        })
        .await
    }
}
