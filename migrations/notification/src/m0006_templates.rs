use dayone_model::schema::create_base_table;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Wording managed at run time. A template's key and category never
        // change (the SMS sender is chosen by category); its wording lives in
        // immutable versions, and `published_version` says which one is sent.
        create_base_table(db, "templates", |t| {
            t.col(ColumnDef::new("key").text().not_null().unique_key())
                .col(ColumnDef::new("category").text().not_null())
                .col(ColumnDef::new("description").text().null())
                .col(
                    ColumnDef::new("built_in")
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(ColumnDef::new("published_version").integer().null())
                .check(Expr::col("category").is_in(["transactional", "promotional"]));
        })
        .await?;
        // One row per saved edit: the declared variables and the parts per
        // locale and channel (`content`), never updated once written.
        create_base_table(db, "template_versions", |t| {
            t.col(ColumnDef::new("template_id").big_integer().not_null())
                .col(ColumnDef::new("version").integer().not_null())
                .col(ColumnDef::new("default_locale").text().not_null())
                .col(ColumnDef::new("variables").json_binary().not_null())
                .col(ColumnDef::new("content").json_binary().not_null())
                .col(ColumnDef::new("created_by").uuid().null())
                .foreign_key(
                    ForeignKey::create()
                        .from("template_versions", "template_id")
                        .to("templates", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                );
        })
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX template_versions_version_key ON template_versions (template_id, version);
             -- The version a notification was accepted with: a later publish
             -- does not change it, and retries render the same words.
             ALTER TABLE notifications ADD COLUMN template_version integer NULL;
             -- The recipient's language, from their profile.
             ALTER TABLE contacts ADD COLUMN locale text NULL;",
        )
        .await?;
        Ok(())
    }
}
