//! The scheduled tasks core runs (queue `core.tasks`, routing keys
//! `task.recommendations.*`): each request names one, and its work lives in
//! its domain module.

use dayone_broker::Outbox;
use dayone_broker::tasks::Task;
use dayone_model::messages::tasks::TaskRequested;
use sea_orm::DatabaseConnection;
use serde_json::Value;

use crate::recommendations::weekly;

pub struct CoreTasks {
    pub db: DatabaseConnection,
    pub outbox: Outbox,
}

impl Task for CoreTasks {
    async fn run(&self, request: &TaskRequested) -> anyhow::Result<Value> {
        match request.task.as_str() {
            "recommendations.weekly" => weekly(&self.db, &self.outbox, request.run_uuid).await,
            other => anyhow::bail!("core does not run `{other}`"),
        }
    }
}
