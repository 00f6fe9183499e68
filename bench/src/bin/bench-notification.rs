//! The notification pipeline under load, in-process against the real test
//! infrastructure (`make test-infra`): jobs are published to RabbitMQ with
//! publisher confirms as persistent messages, consumed, claimed, sent and
//! recorded, exactly as in production.
//!
//! 0. The ceiling: N emails straight from the service's SMTP client to a
//!    fast in-process SMTP sink (no broker, no database);
//! 1. N emails from publish to accepted by that sink, and the pipeline's
//!    share of the ceiling (`--maildev` sends to MailDev instead);
//! 2. N SMS jobs through the whole pipeline with the no-op (log) provider,
//!    which measures everything but the provider.
//!
//! With `--inbox`, the in-app inbox instead (`dayone_bench::inbox`): lists
//! over 100,000 items and live delivery to 1,000 open streams.
//!
//! Each line says where the CPU went (this process holds the service, the
//! sink and the publisher; PostgreSQL, RabbitMQ and Redis are the stack's).
//!
//!   cargo run --release -p dayone-bench --bin bench-notification -- [--jobs N] [--concurrency C] [--maildev]
//!   cargo run --release -p dayone-bench --bin bench-notification -- --inbox [--items N] [--clients N] [--seconds S]

use std::time::{Duration, Instant};

use dayone_bench::cpu;
use dayone_broker::Broker;
use dayone_fakes::SmtpSink;
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

async fn scalar(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<Option<i64>>("", "n"))
        .transpose()?
        .flatten()
        .unwrap_or(0))
}

/// Deliveries on `channel` sent since the one with id `after` (exact; read
/// once the cheap poll says the phase may be done).
async fn sent(db: &DatabaseConnection, channel: &str, after: i64) -> anyhow::Result<i64> {
    scalar(
        db,
        "SELECT count(*) AS n FROM deliveries WHERE id > $2 AND channel = $1 AND status = 'sent'",
        vec![channel.into(), after.into()],
    )
    .await
}

/// The newest attempt's id: one index probe, so polling it every few
/// milliseconds does not itself load the database. Attempts are numbered
/// in order, so the growth since a phase began is how many were recorded.
async fn last_attempt(db: &DatabaseConnection) -> anyhow::Result<i64> {
    scalar(db, "SELECT max(id) AS n FROM delivery_attempts", vec![]).await
}

/// Publishes `jobs` (with confirms, 256 in flight) and waits until `n`
/// deliveries on `channel` are sent; prints the figures.
async fn run<P: dayone_model::Contract + Clone>(
    name: &str,
    broker: &Broker,
    db: &DatabaseConnection,
    channel: &str,
    jobs: Vec<P>,
) -> anyhow::Result<f64> {
    let n = jobs.len() as i64;
    let after = scalar(db, "SELECT max(id) AS n FROM deliveries", vec![]).await?;
    let attempts_before = last_attempt(db).await?;
    let cpu_before = cpu::snapshot();
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
        if last_attempt(db).await? - attempts_before >= n {
            let done = sent(db, channel, after).await?;
            if done >= n {
                break;
            }
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(900),
            "not all {n} {channel} deliveries were sent after 15 minutes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let total = started.elapsed();
    let rate = n as f64 / total.as_secs_f64();
    println!(
        "{name:<40} {n:>6} jobs   published (confirmed) in {:>6.2} s = {:>8.0}/s   end to end {:>6.2} s = {rate:>7.0}/s",
        published.as_secs_f64(),
        n as f64 / published.as_secs_f64(),
        total.as_secs_f64(),
    );
    println!(
        "    CPU: {}",
        cpu::report(&cpu_before, &cpu::snapshot(), total.as_secs_f64())
    );
    Ok(rate)
}

/// The SMTP client and the sink alone: `n` messages over `concurrency`
/// pooled connections.
async fn ceiling(settings: &Settings, n: usize, concurrency: usize) -> anyhow::Result<f64> {
    use dayone_notification::channels::email::{EmailSender, Outgoing};
    use dayone_notification::templates::RenderedEmail;
    let sender = EmailSender::new(&settings.notification.email)?;
    let content = RenderedEmail {
        subject: "Welcome to Dayone".into(),
        text: "Hello,\n\nwelcome.\n".into(),
        html: "<p>Hello,</p><p>welcome.</p>".into(),
    };
    let cpu_before = cpu::snapshot();
    let started = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = (0..concurrency).map(|_| async {
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if i >= n {
                return Ok::<_, anyhow::Error>(());
            }
            let to = format!("ceiling-{i}@bench.example");
            sender
                .send(Outgoing {
                    id: uuid::Uuid::new_v4(),
                    to: &to,
                    to_name: None,
                    content: &content,
                    unsubscribe_url: None,
                })
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    });
    for result in join_all(workers).await {
        result?;
    }
    let took = started.elapsed().as_secs_f64();
    let rate = n as f64 / took;
    println!(
        "{:<40} {n:>6} emails over {concurrency} connections in {took:>6.2} s = {rate:>7.0}/s",
        "ceiling: SMTP client -> sink (no pipeline)"
    );
    println!(
        "    CPU: {}",
        cpu::report(&cpu_before, &cpu::snapshot(), took)
    );
    Ok(rate)
}

fn email_jobs(run_id: &str, prefix: &str, n: usize) -> Vec<EmailJob> {
    (0..n)
        .map(|i| EmailJob {
            recipient: Recipient {
                email: Some(format!("{prefix}-{i}@{run_id}.bench.example")),
                ..Default::default()
            },
            template: EmailTemplate::Welcome,
        })
        .collect()
}

fn sms_jobs(n: usize) -> Vec<TransactionalSms> {
    (0..n)
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
        .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let jobs = flag("--jobs", 10_000);
    let concurrency = flag("--concurrency", 8);
    let maildev = std::env::args().any(|a| a == "--maildev");
    let inbox = std::env::args().any(|a| a == "--inbox");
    let issuer = dayone_test_support::tokens::TestIssuer::start().await;
    // Logs as production writes them: JSON lines at info, on stdout (the
    // figures are the lines that do not start with `{`).
    dayone_telemetry::init(
        "notification",
        None,
        dayone_telemetry::LogFormat::Json,
        "info,sqlx=warn,lapin=warn,actix_server=warn",
    );
    let mut env = TestEnv::new("bench").await?;
    let sink = SmtpSink::start("127.0.0.1:0".parse()?).await?;
    let smtp = if maildev {
        env.stack.get("SMTP_PORT").to_owned()
    } else {
        sink.addr.port().to_string()
    };
    env.set("APP_NOTIFICATION__EMAIL__PORT", smtp)
        .set(
            "APP_NOTIFICATION__EMAIL__POOL_SIZE",
            concurrency.to_string(),
        )
        .set("APP_NOTIFICATION__SMS__TRANSACTIONAL__PROVIDER", "log")
        .set("APP_BROKER__CONCURRENCY", concurrency.to_string())
        .set("APP_BROKER__PREFETCH", (concurrency * 4).to_string())
        .set("APP_LOG__FILTER", "warn")
        .set("APP_TOKENS__JWKS_URL", issuer.jwks_url());
    let settings: Settings = dayone_web::settings::load_with(
        "notification",
        &dayone_test_support::config_dir(),
        env.vars.clone(),
    )?;
    let publisher = Broker::start(
        settings.common.broker.clone(),
        dayone_notification::consumers::QUEUES,
        "bench-publisher",
    );
    publisher.wait_connected(Duration::from_secs(10)).await?;
    let app = spawn::<Settings, notification_migration::Migrator, _, _>(
        "notification",
        env,
        Application::build,
    )
    .await;
    if inbox {
        let seconds = flag("--seconds", 10) as u64;
        return inbox::run(
            &app,
            &issuer,
            &publisher,
            flag("--items", 100_000),
            flag("--clients", 1_000),
            seconds,
        )
        .await;
    }
    println!(
        "notification in-process (consumer concurrency {concurrency}, prefetch {}), persistent messages, publisher confirms",
        concurrency * 4
    );

    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let emails = email_jobs(&run_id, "bench", jobs);
    let ceiling = ceiling(&settings, jobs, concurrency).await?;
    // A running service's tables have statistics (autovacuum analyzes a
    // table within a minute of its first rows); a fresh database has none,
    // and plans made on empty tables would stay until then. So a warm-up
    // of both kinds of job, then what autovacuum would do.
    let warm_up = (jobs / 10).max(100);
    run(
        "warm-up: emails",
        &publisher,
        &app.db,
        "email",
        email_jobs(&run_id, "warm", warm_up),
    )
    .await?;
    run(
        "warm-up: sms",
        &publisher,
        &app.db,
        "sms",
        sms_jobs(warm_up),
    )
    .await?;
    app.db
        .execute_unprepared("ANALYZE notifications, deliveries, delivery_attempts")
        .await?;
    let sink_before = sink.messages();
    let pipeline = run(
        if maildev {
            "emails: publish -> MailDev"
        } else {
            "emails: publish -> SMTP sink"
        },
        &publisher,
        &app.db,
        "email",
        emails,
    )
    .await?;
    if !maildev {
        println!(
            "    the pipeline ran at {:.0} % of the ceiling; the sink took {} messages ({} distinct Message-IDs in all)",
            100.0 * pipeline / ceiling,
            sink.messages() - sink_before,
            sink.distinct_ids(),
        );
    }

    run(
        "sms: pipeline with the no-op provider",
        &publisher,
        &app.db,
        "sms",
        sms_jobs(jobs),
    )
    .await?;
    Ok(())
}

mod inbox {
    //! The in-app inbox under load (`--inbox`), in-process
    //! against the real test infrastructure:
    //!
    //! 1. `GET /v1/inbox` for one user with 100,000 items: the first page and a
    //!    page from the middle (by cursor), then the unread count of all
    //!    100,000, with our load generator; then the first page with wrk, a
    //!    load generator the field uses, when it is installed;
    //! 2. live delivery: 1,000 users each with a stream open, 1,000 in-app jobs
    //!    (one per user) published at a steady rate, and the time from publish
    //!    to the event on the stream, through RabbitMQ, the consumer,
    //!    PostgreSQL, the outbox and the broadcast queue.
    //!
    //! Each phase says where the CPU went (this process holds the service and
    //! the load; PostgreSQL, RabbitMQ and Redis are the stack's).

    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use dayone_broker::Broker;
    use dayone_model::Envelope;
    use dayone_model::messages::notifications::{Channel, Recipient, TemplatedJob};
    use dayone_test_support::app::TestApp;
    use dayone_test_support::sse::Events;
    use dayone_test_support::tokens::TestIssuer;
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    use serde_json::json;

    use dayone_bench::{cpu, run as load};

    fn percentile(sorted: &[Duration], p: f64) -> f64 {
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
        sorted[rank.min(sorted.len() - 1)].as_secs_f64() * 1000.0
    }

    /// `n` items for `user`, as if sent over time: their notifications too
    /// (each item belongs to one), ids in time order, all unread.
    const SEED: &str = "WITH n AS ( \
           INSERT INTO notifications (uuid, channel, category, template, recipient_user_uuid, job, status, template_version) \
           SELECT gen_random_uuid(), 'in_app', 'transactional', 'bench.item', $2, '{}'::jsonb, 'sent', 1 \
           FROM generate_series(1, $1) RETURNING id), \
         numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS i FROM n) \
         INSERT INTO inbox_items (uuid, user_uuid, notification_id, template, category, title, body) \
         SELECT (lpad(to_hex((extract(epoch FROM now()) * 1000)::bigint - $1 + i), 12, '0') \
                 || '7' || substr(md5(i::text), 1, 3) || '8' || substr(md5(i::text), 4, 15))::uuid, \
                $2, id, 'bench.item', 'transactional', 'Item ' || i, 'Something happened.' FROM numbered";

    /// Runs both phases against `app`, whose tokens `issuer` signs; jobs go out
    /// through `publisher`.
    pub async fn run(
        app: &TestApp,
        issuer: &TestIssuer,
        publisher: &Broker,
        items: usize,
        clients: usize,
        seconds: u64,
    ) -> anyhow::Result<()> {
        // 1. Lists over 100,000 items.
        let reader = issuer.user();
        let started = Instant::now();
        app.db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                SEED,
                [(items as i64).into(), reader.uuid.into()],
            ))
            .await?;
        app.db
            .execute_unprepared("ANALYZE notifications, inbox_items")
            .await?;
        println!(
            "{items} inbox items for one user written in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let middle = app
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT uuid::text AS u FROM inbox_items WHERE user_uuid = $1 ORDER BY uuid DESC OFFSET $2 LIMIT 1",
                [reader.uuid.into(), ((items / 2) as i64).into()],
            ))
            .await?
            .map(|r| r.try_get::<String>("", "u"))
            .transpose()?
            .unwrap_or_default();
        let client = reqwest::Client::new();
        let bearer = format!("Bearer {}", reader.token);
        for (name, path) in [
            (
                "GET /v1/inbox (first page)",
                "/v1/inbox?limit=20".to_owned(),
            ),
            (
                "GET /v1/inbox (page at 50,000)",
                format!("/v1/inbox?limit=20&cursor={middle}"),
            ),
            (
                "GET /v1/inbox/unread-count",
                "/v1/inbox/unread-count".to_owned(),
            ),
        ] {
            let url = app.url(&path);
            let before = cpu::snapshot();
            let samples = load(16, seconds, {
                let (client, bearer, url) = (client.clone(), bearer.clone(), url.clone());
                move |_, _| {
                    let (client, bearer, url) = (client.clone(), bearer.clone(), url.clone());
                    async move {
                        match client
                            .get(&url)
                            .header("authorization", &bearer)
                            .send()
                            .await
                        {
                            Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
                            Err(_) => false,
                        }
                    }
                }
            })
            .await;
            let took = samples.elapsed.as_secs_f64();
            samples.report(name);
            println!("    CPU: {}", cpu::report(&before, &cpu::snapshot(), took));
        }
        let first_page = app.url("/v1/inbox?limit=20");
        match std::process::Command::new("wrk")
            .args(["-t2", "-c16", &format!("-d{seconds}s"), "--latency", "-H"])
            .arg(format!("Authorization: {bearer}"))
            .arg(&first_page)
            .output()
        {
            Ok(out) => {
                let text = String::from_utf8_lossy(&out.stdout);
                let field = |prefix: &str| {
                    text.lines()
                        .find(|l| l.trim_start().starts_with(prefix))
                        .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_owned())
                        .unwrap_or_else(|| "?".into())
                };
                println!(
                    "wrk GET /v1/inbox (first page), c=16: {} req/s   p50 {}   p99 {}",
                    text.lines()
                        .find(|l| l.starts_with("Requests/sec"))
                        .and_then(|l| l.split_whitespace().nth(1))
                        .unwrap_or("?"),
                    field("50%"),
                    field("99%"),
                );
            }
            Err(_) => println!("wrk is not installed: its line is left out"),
        }

        // 2. Live delivery to 1,000 open streams.
        let admin = issuer.admin();
        let template = json!({
            "key": "bench.live",
            "category": "transactional",
            "default_locale": "en",
            "variables": [{"name": "i"}],
            "content": {"en": {"in_app": {"title": "{{ i }}", "body": "live"}}},
        });
        for (path, body) in [
            ("/v1/notifications/templates", template),
            (
                "/v1/notifications/templates/bench.live/publish",
                json!({"version": 1}),
            ),
        ] {
            let response = client
                .post(app.url(path))
                .header("authorization", format!("Bearer {}", admin.token))
                .json(&body)
                .send()
                .await?;
            anyhow::ensure!(
                response.status().is_success(),
                "{path}: {}",
                response.status()
            );
        }
        let users: Vec<_> = (0..clients).map(|_| issuer.user()).collect();
        let arrived: Arc<Mutex<HashMap<usize, Instant>>> = Arc::default();
        let opened = Instant::now();
        let mut readers = Vec::new();
        for user in &users {
            let response = client
                .get(app.url("/v1/inbox/stream"))
                .header("authorization", format!("Bearer {}", user.token))
                .send()
                .await?;
            let mut events = Events::new(response);
            anyhow::ensure!(
                events.opened(Duration::from_secs(10)).await,
                "a stream did not open"
            );
            let arrived = arrived.clone();
            readers.push(tokio::spawn(async move {
                if let Some(event) = events.next(Duration::from_secs(120)).await
                    && let Some(i) = event.json()["title"].as_str().and_then(|t| t.parse().ok())
                {
                    arrived.lock().map(|mut a| a.insert(i, Instant::now())).ok();
                }
            }));
        }
        println!(
            "{clients} streams open in {:.1} s",
            opened.elapsed().as_secs_f64()
        );
        let rate = 200.0;
        let before = cpu::snapshot();
        let began = Instant::now();
        let mut published = HashMap::new();
        for (i, user) in users.iter().enumerate() {
            let due = began + Duration::from_secs_f64(i as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
            let job = Envelope::new(TemplatedJob {
                recipient: Recipient {
                    user_uuid: Some(user.uuid),
                    ..Default::default()
                },
                channel: Channel::InApp,
                template: "bench.live".into(),
                variables: serde_json::Map::from_iter([("i".into(), json!(i.to_string()))]),
                locale: None,
                version: None,
                digest: None,
            });
            published.insert(i, Instant::now());
            publisher.publish(&job).await?;
        }
        for reader in readers {
            let _ = tokio::time::timeout(Duration::from_secs(120), reader).await;
        }
        let took = began.elapsed().as_secs_f64();
        let arrived = arrived.lock().map(|a| a.clone()).unwrap_or_default();
        let mut latencies: Vec<Duration> = arrived
            .iter()
            .filter_map(|(i, at)| Some(at.duration_since(*published.get(i)?)))
            .collect();
        latencies.sort_unstable();
        println!(
            "live: {} of {clients} items reached their stream, published at {rate:.0}/s: publish -> event p50 {:.1} ms   p99 {:.1} ms   max {:.1} ms",
            latencies.len(),
            percentile(&latencies, 50.0),
            percentile(&latencies, 99.0),
            percentile(&latencies, 100.0),
        );
        println!("    CPU: {}", cpu::report(&before, &cpu::snapshot(), took));
        Ok(())
    }
}
