use dayone_web::{RunningService, ServiceInfo, ServiceRuntime};

use crate::Settings;

pub const INFO: ServiceInfo = ServiceInfo {
    name: "scheduler",
    prefix: "/v1/scheduler",
    version: env!("CARGO_PKG_VERSION"),
};

/// The scheduler service.
pub struct Application;

impl Application {
    /// Connects, binds the listeners and returns the service ready to run
    /// (`port()`, `run_until_stopped()`).
    pub async fn build(settings: Settings) -> anyhow::Result<RunningService> {
        let mut runtime = ServiceRuntime::start::<scheduler_migration::Migrator>(
            INFO,
            settings.common.clone(),
            dayone_broker::topology::QUEUES,
        )
        .await?;
        runtime.start_outbox_relay();
        runtime.serve(|_cfg| {})
    }
}
