//! What the scheduler's loops, consumers and handlers share.

use dayone_broker::{Broker, Outbox};
use dayone_web::alerts::Alerter;
use sea_orm::DatabaseConnection;

use crate::settings::SchedulerSettings;

pub struct SchedulerState {
    pub db: DatabaseConnection,
    pub outbox: Outbox,
    pub broker: Broker,
    pub alerter: Alerter,
    pub settings: SchedulerSettings,
    /// For the RabbitMQ management API (the queue-depth check).
    pub http: reqwest::Client,
    /// This replica's name, recorded on the runs it fires.
    pub instance: String,
}
