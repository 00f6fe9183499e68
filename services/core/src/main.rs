use anyhow::bail;
use dayone_core::{Application, Settings, startup::INFO};
use dayone_web::cli::{self, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::load()?;
    dayone_web::init_telemetry(INFO.name, &settings.common);
    match Command::from_args() {
        Command::Serve => {
            Application::build(settings)
                .await?
                .run_until_stopped()
                .await
        }
        Command::Migrate => {
            cli::migrate::<core_migration::Migrator>(&settings.common.database, INFO.name).await
        }
        Command::Other(name, _) => bail!("unknown command `{name}` (serve, migrate)"),
    }
}
