use std::time::Duration;

use actix_web::web;
use dayone_broker::ConsumerOptions;
use dayone_web::{RunningService, ServiceInfo, ServiceRuntime};

use crate::consumers::audit::Reported;
use crate::state::State;
use crate::{Settings, consumers, routes, tasks};

pub const INFO: ServiceInfo = ServiceInfo {
    name: "ops",
    prefix: "/v1/ops",
    version: env!("CARGO_PKG_VERSION"),
};

pub struct Application;

impl Application {
    /// Connects, starts the consumers (the reported admin actions, its tasks) and the outbox relay, binds the
    /// listeners and returns the service ready to run.
    pub async fn build(settings: Settings) -> anyhow::Result<RunningService> {
        let mut runtime = ServiceRuntime::start::<ops_migration::Migrator>(
            INFO,
            settings.common.clone(),
            consumers::QUEUES,
        )
        .await?;
        let state = web::Data::new(State {
            db: runtime.db().clone(),
            outbox: runtime.outbox.clone(),
            broker: runtime.broker().clone(),
            redis: runtime.redis().clone(),
            verifier: runtime.token_verifier(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()?,
            settings: settings.ops.clone(),
            broker_settings: settings.common.broker.clone(),
        });
        let broker = runtime.broker().clone();
        runtime.track(broker.consume(
            ConsumerOptions::from_settings(consumers::AUDIT, &broker),
            Reported {
                db: state.db.clone(),
            },
        ));
        runtime.run_tasks(consumers::TASKS, tasks::Tasks(state.clone().into_inner()));
        runtime.start_outbox_relay();
        runtime.serve(move |cfg| {
            cfg.app_data(state.clone()).configure(routes::configure);
        })
    }
}
