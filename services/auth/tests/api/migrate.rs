//! `auth migrate`, run as the real binary, several at once against one
//! fresh database: what Kubernetes does when a Deployment's replicas start
//! together and each runs its `migrate` init container.

use dayone_test_support::TestEnv;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, TransactionTrait};
use sea_orm_migration::MigratorTrait;

/// `auth migrate` as a future of its output that owns everything it needs,
/// so a test can join several or spawn one.
fn migrate(env: &TestEnv) -> impl Future<Output = std::process::Output> + Send + 'static {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_auth"));
    command
        .arg("migrate")
        .envs(env.vars.iter())
        .env("APP_CONFIG_DIR", dayone_test_support::config_dir());
    async move { command.output().await.unwrap() }
}

async fn one_row(db: &impl ConnectionTrait, sql: &str) -> QueryResult {
    db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn instances_migrating_one_database_at_once_all_succeed_and_apply_each_migration_once() {
    let env = TestEnv::new("auth").await.unwrap();
    let (a, b, c, d) = tokio::join!(migrate(&env), migrate(&env), migrate(&env), migrate(&env));
    let outputs = [a, b, c, d];
    for output in &outputs {
        assert!(
            output.status.success(),
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let db = env.db().await.unwrap();
    let applied = one_row(
        &db,
        "SELECT count(*) AS n, count(DISTINCT version) AS distinct_n FROM seaql_migrations",
    )
    .await;
    let total = auth_migration::Migrator::migrations().len() as i64;
    assert_eq!(applied.try_get::<i64>("", "n").unwrap(), total);
    assert_eq!(applied.try_get::<i64>("", "distinct_n").unwrap(), total);
}

#[tokio::test]
async fn migrate_waits_while_another_session_holds_the_migration_lock() {
    let env = TestEnv::new("auth").await.unwrap();
    let db = env.db().await.unwrap();
    let holder = db.begin().await.unwrap();
    holder
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [dayone_web::cli::MIGRATION_LOCK_KEY.into()],
        ))
        .await
        .unwrap();

    let migrating = tokio::spawn(migrate(&env));
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert!(
        !migrating.is_finished(),
        "migrate did not wait for the lock"
    );
    let tables = one_row(&db, "SELECT to_regclass('users') IS NULL AS none").await;
    assert!(tables.try_get::<bool>("", "none").unwrap());

    holder.commit().await.unwrap();
    let output = tokio::time::timeout(std::time::Duration::from_secs(30), migrating)
        .await
        .expect("migrate went on once the lock was free")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("waiting for its migrations to end"),
        "{stdout}"
    );
    assert!(stdout.contains("migrations applied"), "{stdout}");
}
