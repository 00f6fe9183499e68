use std::sync::Arc;

use actix_web::web;
use dayone_broker::ConsumerOptions;
use dayone_web::{RunningService, ServiceInfo, ServiceRuntime};

use crate::consumers::results::Results;
use crate::consumers::{self, RESULTS, TASKS};
use crate::state::SchedulerState;
use crate::tasks::SchedulerTasks;
use crate::{Settings, jobs, routes, ticker};

pub const INFO: ServiceInfo = ServiceInfo {
    name: "scheduler",
    prefix: "/v1/scheduler",
    version: env!("CARGO_PKG_VERSION"),
};

/// The scheduler: firing loop, result consumer, its own task worker, API.
pub struct Application;

impl Application {
    /// Connects, syncs the job definitions, starts the loops and consumers,
    /// binds the listeners and returns the service ready to run.
    pub async fn build(settings: Settings) -> anyhow::Result<RunningService> {
        let definitions = jobs::load(&settings.scheduler.extra_jobs_path)?;
        let mut runtime = ServiceRuntime::start::<scheduler_migration::Migrator>(
            INFO,
            settings.common.clone(),
            consumers::QUEUES,
        )
        .await?;
        if let Err(error) = jobs::sync(runtime.db(), &definitions).await {
            // The database may be down at start; the loop reads what is there.
            tracing::warn!(error = %error, "could not write the job definitions yet");
        }
        let broker = runtime.broker().clone();
        let instance = settings.common.instance_name(INFO.name);
        let state = Arc::new(SchedulerState {
            db: runtime.db().clone(),
            outbox: runtime.outbox.clone(),
            broker: broker.clone(),
            alerter: runtime.alerter().clone(),
            settings: settings.scheduler.clone(),
            http: reqwest::Client::new(),
            instance,
        });
        runtime.track(broker.consume(
            ConsumerOptions::from_settings(RESULTS, &broker),
            Results {
                db: state.db.clone(),
            },
        ));
        runtime.run_tasks(TASKS, SchedulerTasks(state.clone()));
        runtime.track(ticker::spawn(state.clone(), broker.stopping()));
        runtime.start_outbox_relay();
        let data = web::Data::from(state);
        runtime.serve(move |cfg| {
            cfg.app_data(data.clone()).configure(routes::configure);
        })
    }
}
