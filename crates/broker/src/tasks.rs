//! Running scheduled tasks: [`TaskWorker`] turns a [`Task`] into a consumer
//! of `task.*` requests that reports every run's outcome as a `TaskResult`
//! message, for the run history.

use std::future::Future;

use chrono::Utc;
use dayone_model::Envelope;
use dayone_model::messages::tasks::{TASK_PREFIX, TaskRequested, TaskResult};
use serde_json::Value;

use crate::Broker;
use crate::consumer::{Handler, Incoming, Outcome};

/// Work a service does when a scheduled job asks for it.
pub trait Task: Send + Sync + 'static {
    /// Runs `request`. A request can be delivered twice: tasks with effects
    /// claim their work under its `run_uuid`, so the second delivery has
    /// none. The value returned is reported as the run's output.
    fn run(&self, request: &TaskRequested) -> impl Future<Output = anyhow::Result<Value>> + Send;
}

pub struct TaskWorker<T> {
    broker: Broker,
    task: T,
    /// Shown in the run history (`auth-1`, `core-2`...).
    worker: String,
}

impl<T: Task> TaskWorker<T> {
    /// A worker named `worker` in the run history (the instance: `auth-1`).
    pub fn new(broker: Broker, task: T, worker: String) -> Self {
        Self {
            broker,
            task,
            worker,
        }
    }
}

/// The housekeeping every service's cleanup task starts with: published
/// outbox rows and idempotency claims older than `days`.
pub async fn messaging_housekeeping<C: sea_orm::ConnectionTrait>(
    db: &C,
    days: i32,
) -> Result<serde_json::Map<String, Value>, sea_orm::DbErr> {
    let outbox = crate::outbox::purge_published(db, days).await?;
    let claims = crate::idempotency::forget_older_than(db, days).await?;
    let mut counts = serde_json::Map::new();
    counts.insert("outbox_messages".into(), outbox.into());
    counts.insert("processed_messages".into(), claims.into());
    Ok(counts)
}

impl<T: Task> Handler for TaskWorker<T> {
    async fn handle(&self, message: Incoming) -> Outcome {
        let envelope = message.envelope;
        if !envelope.kind.starts_with(TASK_PREFIX) {
            return Outcome::DeadLetter(format!("`{}` is not a task request", envelope.kind));
        }
        let request: TaskRequested = match serde_json::from_value(envelope.payload) {
            Ok(r) => r,
            Err(e) => return Outcome::DeadLetter(format!("malformed task request: {e}")),
        };
        let started_at = Utc::now();
        tracing::info!(task = %request.task, run = %request.run_uuid, "running task");
        let result = self.task.run(&request).await;
        let finished_at = Utc::now();
        let (succeeded, error, output) = match result {
            Ok(output) => (true, None, output),
            Err(e) => {
                tracing::error!(task = %request.task, run = %request.run_uuid, error = format!("{e:#}"), "task failed");
                (false, Some(format!("{e:#}")), Value::Null)
            }
        };
        let report = Envelope::new(TaskResult {
            run_uuid: request.run_uuid,
            task: request.task,
            succeeded,
            started_at,
            finished_at,
            error,
            output,
            worker: self.worker.clone(),
        });
        match self.broker.publish(&report).await {
            Ok(()) => Outcome::Done,
            // The run's outcome must reach the history: run again later
            // (tasks are idempotent per message).
            Err(e) => Outcome::Retry(format!("could not report the task result: {e}")),
        }
    }
}
