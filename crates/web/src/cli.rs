//! The subcommands every service binary understands, parsed without a CLI
//! framework: `serve` (the default), `migrate`, `healthcheck`, and
//! service-specific ones passed through with their arguments.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// What the binary was asked to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// Run the HTTP server and the consumers (the default).
    Serve,
    /// Apply pending migrations to the service's database, then exit.
    Migrate,
    /// A service-specific command and its arguments.
    Other(String, Vec<String>),
}

impl Command {
    pub fn from_args() -> Self {
        Self::parse(std::env::args().skip(1))
    }

    pub fn parse(mut args: impl Iterator<Item = String>) -> Self {
        match args.next().as_deref() {
            None | Some("serve") => Self::Serve,
            Some("migrate") => Self::Migrate,
            Some(other) => Self::Other(other.to_owned(), args.collect()),
        }
    }
}

/// `<service> healthcheck`: exits 0 when this container's service answers
/// `GET /health` with 200 on `127.0.0.1:$APP_APPLICATION__PORT`, 1
/// otherwise. It is the Docker `HEALTHCHECK` (distroless images have no
/// curl), so it runs before settings are loaded: it needs no secrets and
/// starts in a millisecond. Call it first thing in `main`; it returns only
/// when the command is something else.
pub fn healthcheck_if_asked() {
    if std::env::args().nth(1).as_deref() != Some("healthcheck") {
        return;
    }
    let port = std::env::var("APP_APPLICATION__PORT")
        .ok()
        .and_then(|p| p.parse::<u16>().ok())
        .filter(|p| *p != 0)
        .unwrap_or(8080);
    match probe_health(port, Duration::from_secs(3)) {
        Ok(()) => std::process::exit(0),
        Err(why) => {
            eprintln!("unhealthy: {why}");
            std::process::exit(1)
        }
    }
}

/// `GET /health` over plain HTTP/1.0 on loopback; Ok on a 200.
pub fn probe_health(port: u16, timeout: Duration) -> Result<(), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("{addr}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(
            b"GET /health HTTP/1.0\r\nHost: localhost\r\nUser-Agent: dayone-healthcheck\r\n\r\n",
        )
        .map_err(|e| e.to_string())?;
    let mut head = [0u8; 32];
    let n = stream.read(&mut head).map_err(|e| e.to_string())?;
    let status_line = String::from_utf8_lossy(&head[..n]);
    let status = status_line.split_whitespace().nth(1).unwrap_or("none");
    if status == "200" {
        Ok(())
    } else {
        Err(format!("GET /health answered {status}"))
    }
}

/// The value after `--name` in `args`.
pub fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// The PostgreSQL advisory lock `migrate` holds while it migrates. Advisory
/// locks are per database, so every service can use the same key.
pub const MIGRATION_LOCK_KEY: i64 = 0x6461_796f_6e65; // "dayone"

/// Applies the migrations of `M` to the service's database, one instance
/// at a time: replicas that start together (Kubernetes init containers,
/// `migrate_on_start`) wait on [`MIGRATION_LOCK_KEY`] instead of racing to
/// create the same tables. The lock is held by a session of its own, so it
/// is released when this process ends, however it ends.
pub async fn migrate<M: sea_orm_migration::MigratorTrait>(
    settings: &crate::settings::DatabaseSettings,
    service: &str,
) -> anyhow::Result<()> {
    use anyhow::Context;
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    let lock_settings = crate::settings::DatabaseSettings {
        max_connections: 1,
        min_connections: 0,
        ..settings.clone()
    };
    let lock = crate::server::connect_database(&lock_settings, service).await?;
    let statement = |sql: &str| {
        Statement::from_sql_and_values(DbBackend::Postgres, sql, [MIGRATION_LOCK_KEY.into()])
    };
    let taken = lock
        .query_one_raw(statement("SELECT pg_try_advisory_lock($1) AS taken"))
        .await
        .and_then(|row| row.map_or(Ok(false), |r| r.try_get::<bool>("", "taken")))
        .with_context(|| format!("Failed to lock database {} for migrations", settings.name))?;
    if !taken {
        tracing::info!(
            database = settings.name,
            "another instance is migrating this database; waiting for its migrations to end"
        );
        lock.execute_raw(statement("SELECT pg_advisory_lock($1)"))
            .await
            .with_context(|| format!("Failed to lock database {} for migrations", settings.name))?;
    }

    let db = crate::server::connect_database(settings, service).await?;
    let applied = M::up(&db, None)
        .await
        .with_context(|| format!("Failed to migrate database {}", settings.name));
    db.close().await.ok();
    // Closing the session releases the lock too; unlock first so a waiting
    // instance need not wait for the disconnect.
    lock.execute_raw(statement("SELECT pg_advisory_unlock($1)"))
        .await
        .ok();
    lock.close().await.ok();
    applied?;
    tracing::info!(database = settings.name, "migrations applied");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn no_arguments_means_serve() {
        assert_eq!(Command::parse(args(&[])), Command::Serve);
        assert_eq!(Command::parse(args(&["migrate"])), Command::Migrate);
        assert_eq!(
            Command::parse(args(&["create-admin", "--email", "a@b.c"])),
            Command::Other(
                "create-admin".into(),
                vec!["--email".into(), "a@b.c".into()]
            )
        );
        let rest = vec!["--email".to_owned(), "a@b.c".to_owned()];
        assert_eq!(flag(&rest, "--email"), Some("a@b.c"));
        assert_eq!(flag(&rest, "--password"), None);
    }
}
