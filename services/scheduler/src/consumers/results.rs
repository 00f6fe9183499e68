//! `scheduler.results`: workers' reports on runs, into the run history.

use dayone_broker::{Handler, Incoming, Outcome};
use dayone_model::messages::tasks::TaskResult;
use sea_orm::DatabaseConnection;

use crate::runs;

pub struct Results {
    pub db: DatabaseConnection,
}

impl Handler for Results {
    async fn handle(&self, message: Incoming) -> Outcome {
        let result = match message.envelope.decode::<TaskResult>() {
            Ok(e) => e.payload,
            Err(e) => return Outcome::DeadLetter(e.to_string()),
        };
        match runs::record(&self.db, &result).await {
            Ok(true) => {
                tracing::info!(run = %result.run_uuid, task = %result.task, succeeded = result.succeeded, "run recorded");
                Outcome::Done
            }
            Ok(false) => {
                tracing::warn!(run = %result.run_uuid, "a result for an unknown or settled run");
                Outcome::Done
            }
            Err(e) => Outcome::Retry(e.to_string()),
        }
    }
}
