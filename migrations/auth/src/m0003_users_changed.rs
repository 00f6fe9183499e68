use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Every change to an account, whoever makes it (a route, a script, an
        // operator in psql), is announced on `users_changed` when its
        // transaction commits; each auth instance listens and drops that
        // account from its cache of profiles.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE FUNCTION dayone_users_changed() RETURNS trigger AS $$
                 BEGIN
                     PERFORM pg_notify('users_changed',
                         (CASE TG_OP WHEN 'DELETE' THEN OLD.uuid ELSE NEW.uuid END)::text);
                     RETURN NULL;
                 END $$ LANGUAGE plpgsql;
                 CREATE TRIGGER users_changed AFTER UPDATE OR DELETE ON users
                     FOR EACH ROW EXECUTE FUNCTION dayone_users_changed();",
            )
            .await?;
        Ok(())
    }
}
