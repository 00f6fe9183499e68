//! The migration side of the base model. A service's migration creates its
//! tables with [`base_table`] and then runs [`updated_at_trigger`] for each, so
//! the base columns are declared once, here.

use sea_orm::sea_query::{
    ColumnDef, Expr, ForeignKey, ForeignKeyAction, IntoIden, Table, TableCreateStatement,
};
use sea_orm::{ConnectionTrait, DbErr};

/// `CREATE TABLE` with the base columns; add the table's own with `.col(...)`.
pub fn base_table(name: impl IntoIden) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(
            ColumnDef::new("id")
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(
            ColumnDef::new("uuid")
                .uuid()
                .not_null()
                .unique_key()
                .default(Expr::cust("gen_random_uuid()")),
        )
        .col(
            ColumnDef::new("created_at")
                .timestamp_with_time_zone()
                .not_null()
                .default(Expr::current_timestamp()),
        )
        .col(
            ColumnDef::new("updated_at")
                .timestamp_with_time_zone()
                .not_null()
                .default(Expr::current_timestamp()),
        )
        .col(
            ColumnDef::new("deleted_at")
                .timestamp_with_time_zone()
                .null(),
        )
        .to_owned()
}

/// The trigger function, created once per database (idempotent).
pub const SET_UPDATED_AT_FUNCTION: &str = r#"
CREATE OR REPLACE FUNCTION dayone_set_updated_at() RETURNS trigger AS $$
BEGIN
    -- Callers never set updated_at themselves; a value they pass is replaced.
    NEW.updated_at := now();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"#;

/// SQL that installs the function (if needed) and the `updated_at` trigger on
/// `table`. Run it right after creating a base table.
/// A `user_id` column for a row that belongs to an account (`users.id`),
/// deleted with it.
pub fn belongs_to_user(t: &mut TableCreateStatement, table: &str) {
    t.col(ColumnDef::new("user_id").big_integer().not_null())
        .foreign_key(
            ForeignKey::create()
                .from(table.to_owned(), "user_id")
                .to("users", "id")
                .on_delete(ForeignKeyAction::Cascade),
        );
}

pub fn updated_at_trigger(table: &str) -> String {
    format!(
        "{SET_UPDATED_AT_FUNCTION}\n\
         CREATE TRIGGER {table}_set_updated_at BEFORE UPDATE ON \"{table}\" \
         FOR EACH ROW EXECUTE FUNCTION dayone_set_updated_at();\n\
         CREATE INDEX {table}_live_idx ON \"{table}\" (created_at) WHERE deleted_at IS NULL;"
    )
}

/// Creates `table` with the base columns plus what `build` adds, and its
/// `updated_at` trigger: the one call a migration makes per base table.
pub async fn create_base_table<C: ConnectionTrait>(
    db: &C,
    table: &str,
    build: impl FnOnce(&mut TableCreateStatement),
) -> Result<(), DbErr> {
    let mut statement = base_table(table.to_owned());
    build(&mut statement);
    db.execute(&statement).await?;
    db.execute_unprepared(&updated_at_trigger(table)).await?;
    Ok(())
}

/// The `idempotency_keys` table of a service that takes `Idempotency-Key`
/// on creating POSTs (`dayone_web::idempotency`): the first answer to a key
/// per owner, given again to a retry with the same body.
pub async fn create_idempotency_keys_table<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    create_base_table(db, "idempotency_keys", |t| {
        t.col(ColumnDef::new("user_uuid").uuid().not_null())
            .col(ColumnDef::new("key").text().not_null())
            .col(ColumnDef::new("request_hash").text().not_null())
            .col(ColumnDef::new("status").integer().not_null())
            .col(ColumnDef::new("response").json_binary().not_null());
    })
    .await?;
    db.execute_unprepared(
        "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (user_uuid, key)",
    )
    .await?;
    Ok(())
}
