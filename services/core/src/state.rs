//! What the core handlers share.

use std::sync::Arc;

use dayone_broker::Outbox;
use dayone_web::redis::Redis;
use sea_orm::DatabaseConnection;

use crate::search::SearchBackend;
use crate::settings::CoreSettings;

pub struct CoreState {
    pub db: DatabaseConnection,
    pub outbox: Outbox,
    pub redis: Redis,
    pub search: Arc<dyn SearchBackend>,
    pub settings: CoreSettings,
}
