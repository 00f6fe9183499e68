//! Scheduled work: the scheduler publishes a [`TaskRequested`] under the
//! routing key `task.<task name>` (so each service binds the tasks it runs),
//! and the worker answers with a [`TaskResult`] for the run history.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Contract;
use crate::Timestamp;

/// Envelope types and routing keys of task requests start with this.
pub const TASK_PREFIX: &str = "task.";

/// The routing key (and envelope type) of a request for `task`.
pub fn routing_key(task: &str) -> String {
    format!("{TASK_PREFIX}{task}")
}

/// Run one task now. The payload of envelopes typed `task.<name>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRequested {
    /// The run in the scheduler's history this execution belongs to.
    pub run_uuid: Uuid,
    pub job: String,
    pub task: String,
    /// The tick it was scheduled for (or the moment it was triggered).
    pub scheduled_for: Timestamp,
    /// Triggered by hand rather than by the schedule.
    pub manual: bool,
}

/// How a task run went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskResult {
    pub run_uuid: Uuid,
    pub task: String,
    pub succeeded: bool,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    pub error: Option<String>,
    /// What the task reports (counts, sizes...).
    pub output: serde_json::Value,
    /// The instance that ran it.
    pub worker: String,
}

impl Contract for TaskResult {
    const TYPE: &'static str = "scheduler.task-result";
    const VERSION: u32 = 1;
}
