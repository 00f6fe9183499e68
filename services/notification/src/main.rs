use anyhow::bail;
use dayone_broker::Broker;
use dayone_notification::consumers::QUEUES;
use dayone_notification::{Application, Settings, startup::INFO};
use dayone_web::cli::Binary;
use dayone_web::{RunningService, ServiceInfo};

/// The notification service's own commands.
#[derive(Debug, clap::Subcommand)]
enum Commands {
    /// Move dead letters back into their queues (all of this service's, or
    /// one), with a fresh retry budget.
    ReplayDeadLetters {
        #[arg(long)]
        queue: Option<String>,
        /// At most this many per queue.
        #[arg(long)]
        limit: Option<u32>,
    },
}

struct Notification;

impl Binary for Notification {
    const INFO: ServiceInfo = INFO;
    type Settings = Settings;
    type Migrator = notification_migration::Migrator;
    type Commands = Commands;

    async fn application(settings: Settings) -> anyhow::Result<RunningService> {
        Application::build(settings).await
    }

    async fn run(command: Commands, settings: Settings) -> anyhow::Result<()> {
        match command {
            Commands::ReplayDeadLetters { queue, limit } => {
                replay(&settings, queue.as_deref(), limit).await
            }
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dayone_web::cli::main::<Notification>().await
}

/// `notification replay-dead-letters [--queue Q] [--limit N]`: moves dead
/// letters back into their queues (all of this service's by default).
async fn replay(
    settings: &Settings,
    queue: Option<&str>,
    limit: Option<u32>,
) -> anyhow::Result<()> {
    let owned: Vec<&str> = QUEUES.iter().map(|q| q.name).collect();
    let queues: Vec<&str> = match queue {
        Some(q) if owned.contains(&q) => vec![q],
        Some(q) => bail!("`{q}` is not a queue of the notification service"),
        None => owned,
    };
    let limit = limit.unwrap_or(u32::MAX);
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
