//! Every service binary's command line and entry point: `serve` (the
//! default), `migrate`, `healthcheck`, and the service's own subcommands
//! (a `clap` derive), parsed and dispatched in one place ([`main`]).

use std::future::Future;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use clap::{FromArgMatches, Subcommand};

use crate::health::ServiceInfo;
use crate::server::RunningService;
use crate::settings::{ServiceSettings, SettingsError};

/// A service binary: what [`main`] needs to serve it, migrate its database
/// and run its own commands.
pub trait Binary {
    const INFO: ServiceInfo;
    type Settings: ServiceSettings;
    type Migrator: sea_orm_migration::MigratorTrait;
    /// Its own subcommands (`#[derive(clap::Subcommand)]`); [`NoCommands`]
    /// when it has none.
    type Commands: Subcommand;

    fn load() -> Result<Self::Settings, SettingsError> {
        crate::settings::load(Self::INFO.name)
    }

    /// Connects and binds: the service ready to run.
    fn application(
        settings: Self::Settings,
    ) -> impl Future<Output = anyhow::Result<RunningService>>;

    /// Runs one of its own commands.
    fn run(
        command: Self::Commands,
        settings: Self::Settings,
    ) -> impl Future<Output = anyhow::Result<()>>;
}

/// What the binary was asked to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Command<E> {
    /// Run the HTTP server and the consumers (the default).
    Serve,
    /// Apply pending migrations to the service's database, then exit.
    Migrate,
    /// Probe this container's service (the Docker `HEALTHCHECK`).
    Healthcheck,
    /// One of the service's own commands.
    Own(E),
}

impl<E: Subcommand> Command<E> {
    /// Parses `args` (the program name first): the shared commands, then the
    /// service's own ones; `--help` and `--version` are clap's.
    pub fn try_parse_from(
        name: &'static str,
        args: impl IntoIterator<Item = String>,
    ) -> Result<Self, clap::Error> {
        let cli = clap::Command::new(name)
            .about(format!("The Dayone {name} service"))
            .version(env!("CARGO_PKG_VERSION"))
            .subcommand(
                clap::Command::new("serve")
                    .about("Run the HTTP server and the consumers (the default)"),
            )
            .subcommand(
                clap::Command::new("migrate")
                    .about("Apply pending migrations to the service's database, then exit"),
            )
            .subcommand(clap::Command::new("healthcheck").about(
                "Exit 0 when the service on 127.0.0.1:$APP_APPLICATION__PORT answers GET /health",
            ));
        let matches = E::augment_subcommands(cli).try_get_matches_from(args)?;
        Ok(match matches.subcommand_name() {
            None | Some("serve") => Self::Serve,
            Some("migrate") => Self::Migrate,
            Some("healthcheck") => Self::Healthcheck,
            Some(_) => Self::Own(E::from_arg_matches(&matches)?),
        })
    }
}

/// The commands of a service that has none of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoCommands {}

impl FromArgMatches for NoCommands {
    fn from_arg_matches(_: &clap::ArgMatches) -> Result<Self, clap::Error> {
        Err(clap::Error::new(clap::error::ErrorKind::InvalidSubcommand))
    }

    fn update_from_arg_matches(&mut self, _: &clap::ArgMatches) -> Result<(), clap::Error> {
        match *self {}
    }
}

impl Subcommand for NoCommands {
    fn augment_subcommands(cmd: clap::Command) -> clap::Command {
        cmd
    }

    fn augment_subcommands_for_update(cmd: clap::Command) -> clap::Command {
        cmd
    }

    fn has_subcommand(_: &str) -> bool {
        false
    }
}

/// A service binary's `main`: parses the command line, answers
/// `healthcheck` before anything is loaded, then loads the settings, sets up
/// telemetry and serves, migrates or runs the service's own command.
pub async fn main<B: Binary>() -> anyhow::Result<()> {
    let command = match Command::<B::Commands>::try_parse_from(B::INFO.name, std::env::args()) {
        Ok(command) => command,
        Err(error) => error.exit(),
    };
    if matches!(command, Command::Healthcheck) {
        healthcheck();
    }
    let settings = B::load()?;
    let _reporting = crate::init_telemetry(B::INFO.name, settings.common());
    match command {
        Command::Serve => B::application(settings).await?.run_until_stopped().await,
        Command::Migrate => migrate::<B::Migrator>(&settings.common().database, B::INFO.name).await,
        Command::Own(own) => B::run(own, settings).await,
        Command::Healthcheck => Ok(()),
    }
}

/// `<service> healthcheck`: exits 0 when this container's service answers
/// `GET /health` with 200 on `127.0.0.1:$APP_APPLICATION__PORT`, 1
/// otherwise. It is the Docker `HEALTHCHECK` (distroless images have no
/// curl), so it runs before settings are loaded: it needs no secrets and
/// starts in a millisecond.
fn healthcheck() -> ! {
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

    #[derive(Debug, PartialEq, Eq, clap::Subcommand)]
    enum Own {
        /// Make someone an admin.
        CreateAdmin {
            #[arg(long)]
            email: String,
        },
    }

    fn parse<E: Subcommand>(list: &[&str]) -> Result<Command<E>, clap::Error> {
        let args = std::iter::once("ledger").chain(list.iter().copied());
        Command::try_parse_from("ledger", args.map(str::to_owned))
    }

    #[test]
    fn no_arguments_means_serve_and_a_services_own_commands_parse() {
        assert_eq!(parse::<Own>(&[]).unwrap(), Command::Serve);
        assert_eq!(parse::<Own>(&["serve"]).unwrap(), Command::Serve);
        assert_eq!(parse::<Own>(&["migrate"]).unwrap(), Command::Migrate);
        assert_eq!(
            parse::<Own>(&["healthcheck"]).unwrap(),
            Command::Healthcheck
        );
        assert_eq!(
            parse::<Own>(&["create-admin", "--email", "a@b.c"]).unwrap(),
            Command::Own(Own::CreateAdmin {
                email: "a@b.c".into()
            })
        );
    }

    #[test]
    fn unknown_commands_and_missing_arguments_are_refused_with_usage() {
        let unknown = parse::<Own>(&["bogus"]).unwrap_err();
        assert_eq!(unknown.kind(), clap::error::ErrorKind::InvalidSubcommand);
        let missing = parse::<Own>(&["create-admin"]).unwrap_err();
        assert!(missing.to_string().contains("--email"), "{missing}");
        let none = parse::<NoCommands>(&["create-admin"]).unwrap_err();
        assert_eq!(none.kind(), clap::error::ErrorKind::InvalidSubcommand);
        assert_eq!(parse::<NoCommands>(&[]).unwrap(), Command::Serve);
    }
}
