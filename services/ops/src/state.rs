//! What the ops service's handlers, consumers and tasks share.

use actix_web::web;
use dayone_broker::{Broker, BrokerSettings, Outbox};
use dayone_web::auth::TokenVerifier;
use dayone_web::redis::Redis;
use sea_orm::DatabaseConnection;

use crate::settings::OpsSettings;

pub struct State {
    pub db: DatabaseConnection,
    /// Messages written in the same transaction as the change they announce.
    pub outbox: Outbox,
    pub broker: Broker,
    /// Console sessions.
    pub redis: Redis,
    /// Checks the tokens console sessions hold, as any service checks them.
    pub verifier: web::Data<TokenVerifier>,
    /// For the other services' APIs and RabbitMQ's management API.
    pub http: reqwest::Client,
    pub settings: OpsSettings,
    /// Where RabbitMQ's management API is, and the account to ask with.
    pub broker_settings: BrokerSettings,
}
