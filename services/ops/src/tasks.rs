//! The scheduled tasks this service runs (routing keys `task.ops.*`,
//! queue `ops.tasks`): a job that names one (`ops.noop`) runs it
//! on its schedule.

use std::sync::Arc;

use dayone_broker::tasks::Task;
use dayone_model::messages::tasks::TaskRequested;
use serde_json::{Value, json};

use crate::state::State;

pub struct Tasks(pub Arc<State>);

impl Task for Tasks {
    async fn run(&self, request: &TaskRequested) -> anyhow::Result<Value> {
        match request.task.as_str() {
            "ops.noop" => Ok(json!({"ok": true})),
            other => anyhow::bail!("ops does not run `{other}`"),
        }
    }
}
