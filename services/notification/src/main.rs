use anyhow::bail;
use dayone_broker::Broker;
use dayone_notification::consumers::QUEUES;
use dayone_notification::{Application, Settings, startup::INFO};
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
            cli::migrate::<notification_migration::Migrator>(&settings.common.database, INFO.name)
                .await
        }
        Command::Other(name, args) if name == "replay-dead-letters" => {
            replay(&settings, &args).await
        }
        Command::Other(name, _) => {
            bail!("unknown command `{name}` (serve, migrate, replay-dead-letters)")
        }
    }
}

/// `notification replay-dead-letters [--queue Q] [--limit N]`: moves dead
/// letters back into their queues (all of this service's by default).
async fn replay(settings: &Settings, args: &[String]) -> anyhow::Result<()> {
    let owned: Vec<&str> = QUEUES.iter().map(|q| q.name).collect();
    let queues: Vec<&str> = match flag(args, "--queue") {
        Some(q) if owned.contains(&q) => vec![q],
        Some(q) => bail!("`{q}` is not a queue of the notification service"),
        None => owned,
    };
    let limit = flag(args, "--limit")
        .map(str::parse)
        .transpose()?
        .unwrap_or(u32::MAX);
    let broker = Broker::start(settings.common.broker.clone(), QUEUES, "notification-cli");
    broker
        .wait_connected(std::time::Duration::from_secs(10))
        .await?;
    for queue in queues {
        let moved = broker.replay_dead_letters(queue, limit).await?;
        println!("{queue}: replayed {moved}");
    }
    broker.close().await;
    Ok(())
}
