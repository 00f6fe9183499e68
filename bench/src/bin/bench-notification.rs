//! The notification pipeline under load, in-process against the real test
//! infrastructure (`make test-infra`): jobs are published to RabbitMQ with
//! publisher confirms as persistent messages, consumed, recorded and sent.
//!
//! 1. N emails from publish to accepted by the SMTP catcher (MailDev);
//! 2. N SMS jobs through the whole pipeline with the no-op (log) provider,
//!    which measures everything but the provider.
//!
//!   cargo run --release -p dayone-bench --bin bench-notification -- [--jobs N] [--concurrency C]

use std::time::{Duration, Instant};

use dayone_broker::{Broker, topology};
use dayone_model::Envelope;
use dayone_model::messages::notifications::{
    EmailJob, EmailTemplate, Recipient, TransactionalSms, TransactionalSmsTemplate,
};
use dayone_notification::{Application, Settings};
use dayone_test_support::TestEnv;
use dayone_test_support::app::spawn;
use futures_util::future::join_all;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

fn flag(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn sent(db: &DatabaseConnection, channel: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM deliveries WHERE channel = $1 AND status = 'sent'",
            [channel.into()],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
}

/// Publishes `jobs` (with confirms, 256 in flight) and waits until `n`
/// deliveries on `channel` are sent; prints the figures.
async fn run<P: dayone_model::Contract + Clone>(
    name: &str,
    broker: &Broker,
    db: &DatabaseConnection,
    channel: &str,
    jobs: Vec<P>,
) -> anyhow::Result<()> {
    let n = jobs.len() as i64;
    let before = sent(db, channel).await?;
    let started = Instant::now();
    for chunk in jobs.chunks(256) {
        let publishes = chunk.iter().map(|job| {
            let envelope = Envelope::new(job.clone());
            async move { broker.publish(&envelope).await }
        });
        for result in join_all(publishes).await {
            result?;
        }
    }
    let published = started.elapsed();
    loop {
        let done = sent(db, channel).await? - before;
        if done >= n {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(900),
            "only {done} of {n} {channel} deliveries after 15 minutes"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let total = started.elapsed();
    println!(
        "{name:<40} {n:>6} jobs   published (confirmed) in {:>6.2} s = {:>8.0}/s   end to end {:>6.2} s = {:>7.0}/s",
        published.as_secs_f64(),
        n as f64 / published.as_secs_f64(),
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64(),
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let jobs = flag("--jobs", 10_000);
    let concurrency = flag("--concurrency", 8);
    let mut env = TestEnv::new("bench").await?;
    let smtp = env.stack.get("SMTP_PORT").to_owned();
    env.set("APP_NOTIFICATION__EMAIL__PORT", smtp)
        .set("APP_NOTIFICATION__SMS__TRANSACTIONAL__PROVIDER", "log")
        .set("APP_BROKER__CONCURRENCY", concurrency.to_string())
        .set("APP_BROKER__PREFETCH", (concurrency * 4).to_string())
        .set("APP_LOG__FILTER", "warn");
    let settings: Settings = dayone_web::settings::load_with(
        "notification",
        &dayone_test_support::config_dir(),
        env.vars.clone(),
    )?;
    let publisher = Broker::start(
        settings.common.broker.clone(),
        topology::QUEUES,
        "bench-publisher",
    );
    publisher.wait_connected(Duration::from_secs(10)).await?;
    let app = spawn::<Settings, notification_migration::Migrator, _, _>(
        "notification",
        env,
        Application::build,
    )
    .await;
    println!(
        "notification in-process (consumer concurrency {concurrency}, prefetch {}), persistent messages, publisher confirms",
        concurrency * 4
    );

    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let emails: Vec<EmailJob> = (0..jobs)
        .map(|i| EmailJob {
            recipient: Recipient {
                email: Some(format!("bench-{i}@{run_id}.bench.example")),
                ..Default::default()
            },
            template: EmailTemplate::Welcome,
        })
        .collect();
    run(
        "emails: publish -> SMTP catcher",
        &publisher,
        &app.db,
        "email",
        emails,
    )
    .await?;

    let sms: Vec<TransactionalSms> = (0..jobs)
        .map(|i| TransactionalSms {
            recipient: Recipient {
                phone: Some(format!("+1555{i:07}")),
                ..Default::default()
            },
            template: TransactionalSmsTemplate::LoginCode {
                code: "000000".into(),
                expires_in_minutes: 5,
            },
        })
        .collect();
    run(
        "sms: pipeline with the no-op provider",
        &publisher,
        &app.db,
        "sms",
        sms,
    )
    .await?;
    Ok(())
}
