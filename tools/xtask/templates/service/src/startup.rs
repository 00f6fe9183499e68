use actix_web::web;
use dayone_web::{RunningService, ServiceInfo, ServiceRuntime};

use crate::state::State;
use crate::{Settings, consumers, routes, tasks};

pub const INFO: ServiceInfo = ServiceInfo {
    name: "{{name}}",
    prefix: "{{path}}",
    version: env!("CARGO_PKG_VERSION"),
};

pub struct Application;

impl Application {
    /// Connects, starts the consumers and the outbox relay, binds the
    /// listeners and returns the service ready to run.
    pub async fn build(settings: Settings) -> anyhow::Result<RunningService> {
        let mut runtime = ServiceRuntime::start::<{{name}}_migration::Migrator>(
            INFO,
            settings.common.clone(),
            consumers::QUEUES,
        )
        .await?;
        let state = web::Data::new(State {
            db: runtime.db().clone(),
            outbox: runtime.outbox.clone(),
            broker: runtime.broker().clone(),
        });
        runtime.run_tasks(consumers::TASKS, tasks::Tasks(state.clone().into_inner()));
        runtime.start_outbox_relay();
        runtime.serve(move |cfg| {
            cfg.app_data(state.clone()).configure(routes::configure);
        })
    }
}
