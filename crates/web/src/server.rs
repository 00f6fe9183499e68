//! The runtime every service is built on: connect to the infrastructure,
//! start consumers and the outbox relay, serve HTTP (and `/metrics` on the
//! internal port), and shut down in order on SIGTERM:
//!
//! 1. stop accepting connections and let in-flight requests finish;
//! 2. stop the consumers taking deliveries and let the ones in hand finish
//!    and ack (the rest go back to their queue when the channel closes);
//! 3. close the broker connection and the database pool.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;
use dayone_broker::tasks::{Task, TaskWorker};
use dayone_broker::topology::{self, QueueDef};
use dayone_broker::{Broker, ConsumerOptions, Outbox, OutboxRelay};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::alerts::Alerter;
use crate::auth::{RevocationList, RevocationSubscriber, TokenVerifier};
use crate::client::TrustedProxies;
use crate::extractors;
use crate::health::{self, Dependencies, ServiceInfo};
use crate::input::refuse_unstorable;
use crate::middleware::{BodyLogging, ResponsePolicy, observe};
use crate::redis::Redis;
use crate::reporting::ErrorReporter;
use crate::settings::{CommonSettings, DatabaseSettings};

/// Connections and background work of a service that is not serving yet.
pub struct ServiceRuntime {
    pub info: ServiceInfo,
    pub settings: CommonSettings,
    pub deps: Dependencies,
    pub outbox: Outbox,
    pub revocations: RevocationList,
    verifier: web::Data<TokenVerifier>,
    alerter: Alerter,
    tasks: Vec<JoinHandle<()>>,
}

/// Opens the service's PostgreSQL pool. Lazy: the pool connects on first use,
/// so a service starts while PostgreSQL is down and `/ready` says so.
pub async fn connect_database(
    settings: &DatabaseSettings,
    service: &str,
) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(settings.url());
    options
        .max_connections(settings.max_connections)
        .min_connections(settings.min_connections)
        .acquire_timeout(Duration::from_secs_f64(
            settings.acquire_timeout_secs.max(0.05),
        ))
        .connect_timeout(Duration::from_secs_f64(
            settings.acquire_timeout_secs.max(0.05),
        ))
        .set_application_name(service)
        .sqlx_logging(false)
        .connect_lazy(true);
    Database::connect(options).await.with_context(|| {
        format!(
            "Failed to configure the pool for database {}",
            settings.name
        )
    })
}

impl ServiceRuntime {
    /// Connects to PostgreSQL, RabbitMQ and Redis. None of them has to be up
    /// yet: each connects (and reconnects) on its own, and `/ready` reports
    /// the ones that are not.
    pub async fn connect(
        info: ServiceInfo,
        settings: CommonSettings,
        queues: &'static [QueueDef],
    ) -> anyhow::Result<Self> {
        let db = connect_database(&settings.database, info.name).await?;
        let broker = Broker::start(
            settings.broker.clone(),
            queues,
            settings.instance_name(info.name),
        );
        let redis = Redis::connect_lazy(&settings.redis).context("Failed to configure Redis")?;
        // Every instance follows session revocations: loaded from Redis on
        // each (re)subscription, then kept current by the broadcast.
        let revocations = RevocationList::default();
        let subscriber = broker.consume(
            ConsumerOptions::broadcast("session-revocations", topology::SESSION_REVOCATIONS),
            RevocationSubscriber {
                list: revocations.clone(),
                redis: redis.clone(),
            },
        );
        let verifier = web::Data::new(TokenVerifier::remote(settings.tokens.clone()));
        let alerter = Alerter::new(settings.alerts.clone(), redis.clone(), info.name);
        Ok(Self {
            info,
            settings,
            deps: Dependencies { db, broker, redis },
            outbox: Outbox::new(),
            revocations,
            verifier,
            alerter,
            tasks: vec![subscriber],
        })
    }

    /// Replaces the JWKS-backed verifier (the auth service uses its own keys).
    pub fn set_token_verifier(&mut self, verifier: TokenVerifier) {
        self.verifier = web::Data::new(verifier);
    }

    /// The verifier requests' tokens are checked with, for a service that
    /// checks tokens it holds itself (the console's sessions).
    pub fn token_verifier(&self) -> web::Data<TokenVerifier> {
        self.verifier.clone()
    }

    pub fn redis(&self) -> &Redis {
        &self.deps.redis
    }

    /// The webhook alerter (the error reporter raises through it too).
    pub fn alerter(&self) -> &Alerter {
        &self.alerter
    }

    /// [`Self::connect`], after applying the migrations of `M` when
    /// `database.migrate_on_start` is set.
    pub async fn start<M: sea_orm_migration::MigratorTrait>(
        info: ServiceInfo,
        settings: CommonSettings,
        queues: &'static [QueueDef],
    ) -> anyhow::Result<Self> {
        if settings.database.migrate_on_start {
            crate::cli::migrate::<M>(&settings.database, info.name).await?;
        }
        Self::connect(info, settings, queues).await
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.deps.db
    }

    pub fn broker(&self) -> &Broker {
        &self.deps.broker
    }

    /// Registers background work (a consumer) to be awaited on shutdown.
    pub fn track(&mut self, task: JoinHandle<()>) {
        self.tasks.push(task);
    }

    /// Runs `task` on request (a scheduled job): a consumer of `queue`'s task
    /// requests that reports every run's outcome ([`TaskWorker`]).
    pub fn run_tasks<T: Task>(&mut self, queue: &'static str, task: T) {
        let broker = &self.deps.broker;
        let worker = TaskWorker::new(
            broker.clone(),
            task,
            self.settings.instance_name(self.info.name),
        );
        let consumer = broker.consume(ConsumerOptions::from_settings(queue, broker), worker);
        self.track(consumer);
    }

    /// Starts publishing this service's outbox.
    pub fn start_outbox_relay(&mut self) {
        let relay = OutboxRelay::spawn(
            self.deps.db.clone(),
            self.deps.broker.clone(),
            self.outbox.clone(),
        );
        self.track(relay);
    }

    /// Binds the HTTP and metrics listeners and builds the servers; nothing
    /// is served until [`RunningService::run_until_stopped`].
    /// `configure` registers the service's own routes and app data.
    pub fn serve<F>(self, configure: F) -> anyhow::Result<RunningService>
    where
        F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    {
        let app = &self.settings.application;
        let listener = TcpListener::bind((app.host.as_str(), app.port))
            .with_context(|| format!("Failed to bind {}:{}", app.host, app.port))?;
        let port = listener.local_addr()?.port();
        let metrics_listener = TcpListener::bind((app.host.as_str(), app.metrics_port))
            .with_context(|| format!("Failed to bind {}:{}", app.host, app.metrics_port))?;
        let metrics_port = metrics_listener.local_addr()?.port();
        // Install the recorder before the first request records anything.
        let _ = dayone_telemetry::metrics::handle();

        let info = self.info;
        let deps = self.deps.clone();
        let outbox = web::Data::new(self.outbox.clone());
        let verifier = self.verifier.clone();
        let revocations = web::Data::new(self.revocations.clone());
        let proxies = web::Data::new(TrustedProxies(app.trusted_proxies.clone()));
        let reporter = web::Data::new(ErrorReporter::new(info.name, self.alerter.clone()));
        let policy = web::Data::new(ResponsePolicy::new(
            self.settings.instance.as_deref(),
            app.expose_instance,
        ));
        let instance = self.settings.instance.clone();
        let body_logging = web::Data::new(BodyLogging {
            limit_bytes: self.settings.telemetry.log_body_limit_bytes,
        });
        let mut server = HttpServer::new(move || {
            // The last wrap runs first: `observe` sees the response before
            // `Compress` encodes it, so the debug log shows the JSON body
            // and the access line its size, whatever the client accepts;
            // it also sees (and logs) `refuse_unstorable`'s answers.
            App::new()
                .wrap(from_fn(refuse_unstorable))
                .wrap(from_fn(observe))
                .wrap(Compress::default())
                .app_data(extractors::json_config())
                .app_data(extractors::query_config())
                .app_data(extractors::path_config())
                .app_data(extractors::form_config())
                .app_data(web::Data::new(info))
                .app_data(web::Data::new(deps.clone()))
                .app_data(outbox.clone())
                .app_data(verifier.clone())
                .app_data(revocations.clone())
                .app_data(proxies.clone())
                .app_data(reporter.clone())
                .app_data(body_logging.clone())
                .app_data(policy.clone())
                .configure(health::routes(info, instance.clone()))
                .configure(configure.clone())
                .default_service(web::to(extractors::not_found))
        })
        .listen(listener)?
        // Longer than the gateway's upstream keep-alive (30 s, nginx's
        // default 60 s): the service never closes an idle connection that
        // nginx may be reusing for a request at that moment, which nginx
        // cannot retry for a POST.
        .keep_alive(Duration::from_secs(75))
        .disable_signals()
        .shutdown_timeout(app.shutdown_timeout_secs);
        if let Some(workers) = app.workers {
            server = server.workers(workers);
        }
        let pool_db = self.deps.db.clone();
        let metrics_server = HttpServer::new(move || {
            let db = pool_db.clone();
            App::new().route(
                "/metrics",
                web::get().to(move || {
                    record_pool_use(&db);
                    async {
                        HttpResponse::Ok()
                            .content_type("text/plain; version=0.0.4")
                            .body(dayone_telemetry::metrics::render())
                    }
                }),
            )
        })
        .listen(metrics_listener)?
        .workers(1)
        .disable_signals()
        .run();
        info!(
            service = info.name,
            address = %format!("{}:{port}", app.host),
            metrics_port,
            "listening"
        );
        Ok(RunningService {
            server: server.run(),
            metrics_server,
            port,
            metrics_port,
            deps: self.deps,
            tasks: self.tasks,
            shutdown_timeout: Duration::from_secs(app.shutdown_timeout_secs),
        })
    }
}

/// The database pool's use, read when Prometheus scrapes.
fn record_pool_use(db: &DatabaseConnection) {
    let pool = db.get_postgres_connection_pool();
    let max_connections = pool.options().get_max_connections();
    let size = pool.size();
    let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
    metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(idle));
    metrics::gauge!("db_pool_connections", "state" => "in_use")
        .set(f64::from(size.saturating_sub(idle)));
    metrics::gauge!("db_pool_connections", "state" => "max").set(f64::from(max_connections));
}

/// A built service: listeners bound, ready to run.
pub struct RunningService {
    server: Server,
    metrics_server: Server,
    port: u16,
    metrics_port: u16,
    deps: Dependencies,
    tasks: Vec<JoinHandle<()>>,
    shutdown_timeout: Duration,
}

impl RunningService {
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn metrics_port(&self) -> u16 {
        self.metrics_port
    }

    /// Serves until SIGTERM/SIGINT (or the server stops), then shuts down in
    /// order (see the module docs).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// [`Self::run_until_stopped`] with any future as the stop signal.
    pub async fn run_until(self, stop: impl Future<Output = ()>) -> anyhow::Result<()> {
        let http = self.server.handle();
        let metrics = self.metrics_server.handle();
        let mut server = tokio::spawn(self.server);
        let metrics_task = tokio::spawn(self.metrics_server);
        let served = tokio::select! {
            () = stop => {
                info!("shutdown requested: finishing in-flight requests");
                http.stop(true).await;
                server.await
            }
            result = &mut server => {
                warn!("HTTP server stopped on its own");
                result
            }
        };

        info!("stopping consumers");
        self.deps.broker.stop_consuming();
        let drained = tokio::time::timeout(
            self.shutdown_timeout,
            futures_util::future::join_all(self.tasks),
        )
        .await;
        if drained.is_err() {
            warn!("consumers did not finish in time; unacked messages return to their queues");
        }
        // lapin can wait forever for a close-ok on a connection that broke
        // while closing; the process must still exit for its orchestrator.
        if tokio::time::timeout(Duration::from_secs(5), self.deps.broker.close())
            .await
            .is_err()
        {
            warn!("the broker connection did not close within 5s; exiting anyway");
        }
        metrics.stop(true).await;
        let _ = metrics_task.await;
        let _ = self.deps.db.close_by_ref().await;
        info!("stopped");
        served.context("HTTP server task failed")??;
        Ok(())
    }
}

/// Resolves on SIGTERM (orchestrators) or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
