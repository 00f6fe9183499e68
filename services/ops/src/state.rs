//! What the ops service's handlers, consumers and tasks share.

use dayone_broker::{Broker, Outbox};
use sea_orm::DatabaseConnection;

pub struct State {
    pub db: DatabaseConnection,
    /// Messages written in the same transaction as the change they announce.
    pub outbox: Outbox,
    pub broker: Broker,
}
