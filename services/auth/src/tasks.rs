//! The scheduled tasks auth runs (queue `auth.tasks`, routing keys
//! `task.auth.*`): each request names one, and its work lives in its
//! domain module.

use dayone_broker::tasks::Task;
use dayone_model::messages::tasks::TaskRequested;
use sea_orm::DatabaseConnection;
use serde_json::Value;

use crate::cleanup::cleanup;

pub struct AuthTasks {
    pub db: DatabaseConnection,
    pub retention_days: i32,
}

impl Task for AuthTasks {
    async fn run(&self, request: &TaskRequested) -> anyhow::Result<Value> {
        match request.task.as_str() {
            "auth.cleanup" => Ok(Value::Object(cleanup(&self.db, self.retention_days).await?)),
            other => anyhow::bail!("auth does not run `{other}`"),
        }
    }
}
