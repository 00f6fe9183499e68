use dayone_web::{RunningService, ServiceInfo, ServiceRuntime};

use crate::Settings;

pub const INFO: ServiceInfo = ServiceInfo {
    name: "auth",
    prefix: "/v1/auth",
    version: env!("CARGO_PKG_VERSION"),
};

/// The auth service: HTTP API and outbox relay.
pub struct Application;

impl Application {
    /// Connects, binds the listeners and returns the service ready to run
    /// (`port()`, `run_until_stopped()`).
    pub async fn build(settings: Settings) -> anyhow::Result<RunningService> {
        let mut runtime = ServiceRuntime::start::<auth_migration::Migrator>(
            INFO,
            settings.common.clone(),
            dayone_broker::topology::QUEUES,
        )
        .await?;
        runtime.start_outbox_relay();
        runtime.serve(|_cfg| {})
    }
}
