//! The scheduler's own tasks (queue `scheduler.tasks`): a disk-space check
//! and a queue-depth check that raise alerts, and `noop` (a heartbeat, and
//! what the scheduler's own tests schedule).

use std::path::Path;
use std::sync::Arc;

use dayone_broker::tasks::Task;
use dayone_broker::topology;
use dayone_model::messages::tasks::TaskRequested;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sysinfo::Disks;

use crate::state::SchedulerState;

pub struct SchedulerTasks(pub Arc<SchedulerState>);

impl Task for SchedulerTasks {
    async fn run(&self, request: &TaskRequested) -> anyhow::Result<Value> {
        match request.task.as_str() {
            "scheduler.noop" => Ok(json!({"ok": true})),
            "scheduler.disk-check" => disk_check(&self.0).await,
            "scheduler.queue-depth-check" => queue_depth_check(&self.0).await,
            other => anyhow::bail!("the scheduler does not run `{other}`"),
        }
    }
}

/// Usage of the file system holding `path`: (mount point, used percent).
fn usage(disks: &Disks, path: &str) -> Option<(String, f64)> {
    let disk = disks
        .iter()
        .filter(|d| Path::new(path).starts_with(d.mount_point()))
        .max_by_key(|d| d.mount_point().as_os_str().len())?;
    let total = disk.total_space() as f64;
    if total <= 0.0 {
        return None;
    }
    let used = total - disk.available_space() as f64;
    Some((
        disk.mount_point().display().to_string(),
        used / total * 100.0,
    ))
}

pub async fn disk_check(state: &SchedulerState) -> anyhow::Result<Value> {
    let disks = Disks::new_with_refreshed_list()
        .map_err(|e| anyhow::anyhow!("cannot list file systems: {e}"))?;
    let limit = state.settings.disk.alert_above_percent;
    let mut checked = Vec::new();
    for path in &state.settings.disk.paths {
        let Some((mount, percent)) = usage(&disks, path) else {
            anyhow::bail!("no file system holds {path}");
        };
        metrics::gauge!("disk_used_percent", "mount" => mount.clone()).set(percent);
        if percent > limit {
            state
                .alerter
                .raise(
                    &format!("disk_space:{mount}"),
                    &format!("disk {mount} is {percent:.1}% full (alert above {limit}%)"),
                )
                .await;
        }
        checked.push(
            json!({"path": path, "mount": mount, "used_percent": (percent * 10.0).round() / 10.0}),
        );
    }
    Ok(json!({ "disks": checked }))
}

pub async fn queue_depth_check(state: &SchedulerState) -> anyhow::Result<Value> {
    let broker = state.broker.settings();
    let vhost = if broker.vhost == "/" {
        "%2F".to_owned()
    } else {
        broker.vhost.clone()
    };
    let url = format!(
        "http://{}:{}/api/queues/{vhost}?columns=name,messages",
        broker.host, broker.management_port
    );
    let queues: Vec<Value> = state
        .http
        .get(&url)
        .basic_auth(&broker.username, Some(broker.password.expose_secret()))
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let limit = state.settings.queues.alert_above_messages;
    let mut alerts = Vec::new();
    for queue in &queues {
        let (Some(name), Some(messages)) = (queue["name"].as_str(), queue["messages"].as_u64())
        else {
            continue;
        };
        metrics::gauge!("rabbitmq_queue_messages", "queue" => name.to_owned()).set(messages as f64);
        if topology::is_dead_letter_queue(name) && messages > 0 {
            state
                .alerter
                .raise(
                    &format!("dead_letters:{name}"),
                    &format!("{messages} message(s) in the dead-letter queue {name}"),
                )
                .await;
            alerts.push(name.to_owned());
        } else if !topology::is_retry_queue(name) && messages > limit {
            state
                .alerter
                .raise(
                    &format!("queue_backlog:{name}"),
                    &format!("{messages} messages waiting in {name} (alert above {limit})"),
                )
                .await;
            alerts.push(name.to_owned());
        }
    }
    Ok(json!({ "queues": queues.len(), "alerts": alerts }))
}
