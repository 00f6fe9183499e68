use dayone_model::schema::{belongs_to_user, create_base_table};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// A TOTP second factor per account (pending until confirmed with a
    /// code), its single-use recovery codes (hashed), and how each session
    /// was signed in (`amr`, carried into refreshed access tokens).
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        create_base_table(db, "totp_factors", |t| {
            belongs_to_user(t, "totp_factors");
            t.col(ColumnDef::new("secret").text().not_null())
                .col(
                    ColumnDef::new("confirmed_at")
                        .timestamp_with_time_zone()
                        .null(),
                )
                // The last time step a code was accepted for: a code is
                // accepted only for a later step, so none is used twice.
                .col(ColumnDef::new("last_step").big_integer().null());
        })
        .await?;
        // One factor per account.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX totp_factors_user_key ON totp_factors (user_id)",
        )
        .await?;
        create_base_table(db, "recovery_codes", |t| {
            belongs_to_user(t, "recovery_codes");
            t.col(ColumnDef::new("code_hash").text().not_null())
                .col(ColumnDef::new("used_at").timestamp_with_time_zone().null());
        })
        .await?;
        db.execute_unprepared("CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id)")
            .await?;
        db.execute_unprepared("ALTER TABLE sessions ADD COLUMN amr text NOT NULL DEFAULT ''")
            .await?;
        Ok(())
    }
}
