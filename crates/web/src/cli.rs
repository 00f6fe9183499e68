//! The subcommands every service binary understands, parsed without a CLI
//! framework: `serve` (the default), `migrate`, and service-specific ones
//! passed through with their arguments.

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

/// The value after `--name` in `args`.
pub fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// Applies the migrations of `M` to the service's database.
pub async fn migrate<M: sea_orm_migration::MigratorTrait>(
    settings: &crate::settings::DatabaseSettings,
    service: &str,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let db = crate::server::connect_database(settings, service).await?;
    M::up(&db, None)
        .await
        .with_context(|| format!("Failed to migrate database {}", settings.name))?;
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
