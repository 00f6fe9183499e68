use dayone_auth::{Application, Settings, admin, startup::INFO};
use dayone_web::cli::Binary;
use dayone_web::{RunningService, ServiceInfo};

/// The auth service's own commands.
#[derive(Debug, clap::Subcommand)]
enum Commands {
    /// Create an admin account (the password is read from stdin).
    CreateAdmin {
        #[arg(long)]
        email: String,
        /// Read the password from stdin, so it never shows in `ps` or the
        /// shell's history (the only way).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

struct Auth;

impl Binary for Auth {
    const INFO: ServiceInfo = INFO;
    type Settings = Settings;
    type Migrator = auth_migration::Migrator;
    type Commands = Commands;

    async fn application(settings: Settings) -> anyhow::Result<RunningService> {
        Application::build(settings).await
    }

    async fn run(command: Commands, settings: Settings) -> anyhow::Result<()> {
        match command {
            Commands::CreateAdmin { email, .. } => admin::create_admin(&settings, &email).await,
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dayone_web::cli::main::<Auth>().await
}
