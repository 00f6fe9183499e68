use dayone_scheduler::{Application, Settings, startup::INFO};
use dayone_web::cli::{Binary, NoCommands};
use dayone_web::{RunningService, ServiceInfo};

struct Scheduler;

impl Binary for Scheduler {
    const INFO: ServiceInfo = INFO;
    type Settings = Settings;
    type Migrator = scheduler_migration::Migrator;
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
    dayone_web::cli::main::<Scheduler>().await
}
