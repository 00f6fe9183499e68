use dayone_ops::{Application, Settings, startup::INFO};
use dayone_web::cli::{Binary, NoCommands};
use dayone_web::{RunningService, ServiceInfo};

/// The service's command line: serve (the default), migrate, healthcheck.
/// Its own commands go in a `#[derive(clap::Subcommand)]` enum in place of
/// `NoCommands`.
struct Service;

impl Binary for Service {
    const INFO: ServiceInfo = INFO;
    type Settings = Settings;
    type Migrator = ops_migration::Migrator;
    type Commands = NoCommands;

    async fn application(settings: Settings) -> anyhow::Result<RunningService> {
        Application::build(settings).await
    }

    async fn run(command: NoCommands, _: Settings) -> anyhow::Result<()> {
        match command {}
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dayone_web::cli::main::<Service>().await
}
