use std::time::Duration;

use anyhow::{Context, bail};
use dayone_broker::Broker;
use dayone_core::app_versions::{self, Platform};
use dayone_core::settings::{AppVersionPolicy, SearchBackendKind};
use dayone_core::startup::{INFO, search_backend};
use dayone_core::{Application, Settings};
use dayone_model::Envelope;
use dayone_model::messages::catalog::SearchReindexRequested;
use dayone_web::cli::{self, Command, flag};

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
            cli::migrate::<core_migration::Migrator>(&settings.common.database, INFO.name).await
        }
        Command::Other(name, _) if name == "reindex" => reindex(&settings).await,
        Command::Other(name, args) if name == "set-app-version" => {
            set_app_version(&settings, &args).await
        }
        Command::Other(name, _) => {
            bail!("unknown command `{name}` (serve, migrate, reindex, set-app-version)")
        }
    }
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
async fn set_app_version(settings: &Settings, args: &[String]) -> anyhow::Result<()> {
    let usage =
        "usage: core set-app-version --platform ios|android --latest X.Y.Z --min X.Y.Z --url URL";
    let platform = match flag(args, "--platform") {
        Some("ios") => Platform::Ios,
        Some("android") => Platform::Android,
        _ => bail!("{usage}"),
    };
    let policy = AppVersionPolicy {
        latest_version: flag(args, "--latest").context(usage)?.to_owned(),
        min_supported_version: flag(args, "--min").context(usage)?.to_owned(),
        update_url: flag(args, "--url").context(usage)?.to_owned(),
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
