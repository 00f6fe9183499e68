use dayone_broker::ConsumerOptions;
use dayone_broker::topology::{NOTIFICATION_USER_EVENTS, QUEUES};
use dayone_web::{RunningService, ServiceInfo, ServiceRuntime};

use crate::Settings;
use crate::consumers::user_events::UserEvents;

pub const INFO: ServiceInfo = ServiceInfo {
    name: "notification",
    prefix: "/v1/notifications",
    version: env!("CARGO_PKG_VERSION"),
};

/// The notification service: HTTP API and its consumers.
pub struct Application;

impl Application {
    /// Connects, starts the consumers, binds the listeners and returns the
    /// service ready to run (`port()`, `run_until_stopped()`).
    pub async fn build(settings: Settings) -> anyhow::Result<RunningService> {
        let mut runtime = ServiceRuntime::start::<notification_migration::Migrator>(
            INFO,
            settings.common.clone(),
            QUEUES,
        )
        .await?;
        let consumer = runtime.broker().consume(
            ConsumerOptions::from_settings(NOTIFICATION_USER_EVENTS.name, runtime.broker()),
            UserEvents {
                db: runtime.db().clone(),
            },
        );
        runtime.track(consumer);
        runtime.start_outbox_relay();
        runtime.serve(|_cfg| {})
    }
}
