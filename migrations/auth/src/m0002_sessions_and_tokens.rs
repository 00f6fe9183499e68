use dayone_model::schema::create_base_table;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // OTP login finds the account by phone, so a phone belongs to at most
        // one live account.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX users_phone_live_key ON users (phone) \
             WHERE deleted_at IS NULL AND phone IS NOT NULL",
        )
        .await?;

        // A session is one login on one device: the family of refresh tokens
        // that rotate from it. Revoking it revokes the whole family.
        create_base_table(db, "sessions", |t| {
            t.col(ColumnDef::new("user_id").big_integer().not_null())
                .col(ColumnDef::new("user_agent").text().null())
                .col(ColumnDef::new("ip").text().null())
                .col(
                    ColumnDef::new("last_used_at")
                        .timestamp_with_time_zone()
                        .not_null()
                        .default(Expr::current_timestamp()),
                )
                .col(
                    ColumnDef::new("expires_at")
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new("revoked_at")
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(ColumnDef::new("revoked_reason").text().null())
                .foreign_key(
                    ForeignKey::create()
                        .from("sessions", "user_id")
                        .to("users", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                );
        })
        .await?;
        db.execute_unprepared(
            "CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE revoked_at IS NULL",
        )
        .await?;

        // Refresh tokens are stored as SHA-256 hashes only. `used_at` marks a
        // rotated token: presenting it again is reuse, and kills the family.
        create_base_table(db, "refresh_tokens", |t| {
            t.col(ColumnDef::new("session_id").big_integer().not_null())
                .col(ColumnDef::new("token_hash").text().not_null().unique_key())
                .col(
                    ColumnDef::new("expires_at")
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new("used_at").timestamp_with_time_zone().null())
                .foreign_key(
                    ForeignKey::create()
                        .from("refresh_tokens", "session_id")
                        .to("sessions", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                );
        })
        .await?;

        // Single-use links: password reset and email verification.
        create_base_table(db, "one_time_tokens", |t| {
            t.col(ColumnDef::new("user_id").big_integer().not_null())
                .col(ColumnDef::new("purpose").text().not_null())
                .col(ColumnDef::new("token_hash").text().not_null().unique_key())
                .col(
                    ColumnDef::new("expires_at")
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new("used_at").timestamp_with_time_zone().null())
                .foreign_key(
                    ForeignKey::create()
                        .from("one_time_tokens", "user_id")
                        .to("users", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                );
        })
        .await?;

        // Login codes sent by SMS, stored as peppered HMACs.
        create_base_table(db, "otp_codes", |t| {
            t.col(ColumnDef::new("user_id").big_integer().not_null())
                .col(ColumnDef::new("phone").text().not_null())
                .col(ColumnDef::new("code_hash").text().not_null())
                .col(
                    ColumnDef::new("expires_at")
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new("used_at").timestamp_with_time_zone().null())
                .foreign_key(
                    ForeignKey::create()
                        .from("otp_codes", "user_id")
                        .to("users", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                );
        })
        .await?;
        db.execute_unprepared(
            "CREATE INDEX otp_codes_phone_idx ON otp_codes (phone) WHERE used_at IS NULL",
        )
        .await?;
        Ok(())
    }
}
