use dayone_web::{CommonSettings, ServiceSettings};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub common: CommonSettings,
    pub scheduler: SchedulerSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SchedulerSettings {
    pub tick_interval_ms: u64,
    /// A YAML list of extra job definitions; empty for none.
    #[serde(default)]
    pub extra_jobs_path: String,
    pub disk: DiskSettings,
    pub queues: QueueSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DiskSettings {
    pub paths: Vec<String>,
    pub alert_above_percent: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct QueueSettings {
    pub alert_above_messages: u64,
}

impl ServiceSettings for Settings {
    const LIST_KEYS: &'static [&'static str] = &["scheduler.disk.paths"];

    fn common(&self) -> &CommonSettings {
        &self.common
    }
}
