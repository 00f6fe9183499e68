use std::time::Duration;

use anyhow::bail;
use dayone_broker::Broker;
use dayone_core::app_versions::{self, Platform};
use dayone_core::settings::{AppVersionPolicy, SearchBackendKind};
use dayone_core::startup::{INFO, search_backend};
use dayone_core::{Application, Settings};
use dayone_model::Envelope;
use dayone_model::messages::catalog::SearchReindexRequested;
use dayone_web::cli::Binary;
use dayone_web::{RunningService, ServiceInfo};

/// The core service's own commands.
#[derive(Debug, clap::Subcommand)]
enum Commands {
    /// Rebuild the search index from the database.
    Reindex,
    /// Set the app versions a platform's clients are told about.
    SetAppVersion {
        #[arg(long, value_enum)]
        platform: PlatformArg,
        /// The newest version (X.Y.Z): older ones get a soft update prompt.
        #[arg(long)]
        latest: String,
        /// The oldest version still served (X.Y.Z): older ones must update.
        #[arg(long)]
        min: String,
        /// Where the app is updated (the store page).
        #[arg(long)]
        url: String,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum PlatformArg {
    Ios,
    Android,
}

struct Core;

impl Binary for Core {
    const INFO: ServiceInfo = INFO;
    type Settings = Settings;
    type Migrator = core_migration::Migrator;
    type Commands = Commands;

    async fn application(settings: Settings) -> anyhow::Result<RunningService> {
        Application::build(settings).await
    }

    async fn run(command: Commands, settings: Settings) -> anyhow::Result<()> {
        match command {
            Commands::Reindex => reindex(&settings).await,
            Commands::SetAppVersion {
                platform,
                latest,
                min,
                url,
            } => {
                let policy = AppVersionPolicy {
                    latest_version: latest,
                    min_supported_version: min,
                    update_url: url,
                };
                set_app_version(&settings, platform, policy).await
            }
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dayone_web::cli::main::<Core>().await
}

/// `core reindex`: rebuilds the search index from the database. A shared
/// cluster is rebuilt from here; embedded indexes live in the running
/// instances, which are asked to rebuild themselves.
async fn reindex(settings: &Settings) -> anyhow::Result<()> {
    match settings.core.search.backend {
        SearchBackendKind::Elasticsearch => {
            let db =
                dayone_web::server::connect_database(&settings.common.database, INFO.name).await?;
            let backend = search_backend(&settings.core.search).await?;
            let n = dayone_core::search::indexer::reindex(&db, &*backend).await?;
            println!("reindexed {n} products");
        }
        SearchBackendKind::Tantivy => {
            let broker = Broker::start(
                settings.common.broker.clone(),
                dayone_core::consumers::QUEUES,
                "core-cli",
            );
            broker.wait_connected(Duration::from_secs(10)).await?;
            broker
                .publish(&Envelope::new(SearchReindexRequested {}))
                .await?;
            broker.close().await;
            println!("asked every running core instance to rebuild its search index");
        }
    }
    Ok(())
}

/// `core set-app-version --platform ios --latest 2.4.0 --min 2.0.0 --url URL`
async fn set_app_version(
    settings: &Settings,
    platform: PlatformArg,
    policy: AppVersionPolicy,
) -> anyhow::Result<()> {
    let platform = match platform {
        PlatformArg::Ios => Platform::Ios,
        PlatformArg::Android => Platform::Android,
    };
    if let Err(problems) = app_versions::validate(&policy) {
        let text: Vec<String> = problems.iter().map(|(f, p)| format!("{f}: {p}")).collect();
        bail!("{}", text.join("; "));
    }
    let redis = dayone_web::redis::Redis::connect_lazy(&settings.common.redis)?;
    app_versions::store(&redis, platform, &policy).await?;
    println!(
        "{} now: latest {}, minimum {}",
        platform.as_str(),
        policy.latest_version,
        policy.min_supported_version
    );
    Ok(())
}
