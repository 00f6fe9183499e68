use anyhow::bail;
use dayone_{{name}}::{Application, Settings, startup::INFO};
use dayone_web::cli::{self, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dayone_web::cli::healthcheck_if_asked();
    let settings = Settings::load()?;
    let _reporting = dayone_web::init_telemetry(INFO.name, &settings.common);
    match Command::from_args() {
        Command::Serve => {
            Application::build(settings)
                .await?
                .run_until_stopped()
                .await
        }
        Command::Migrate => {
            cli::migrate::<{{name}}_migration::Migrator>(&settings.common.database, INFO.name).await
        }
        Command::Other(name, _) => bail!("unknown command `{name}` (serve, migrate)"),
    }
}
