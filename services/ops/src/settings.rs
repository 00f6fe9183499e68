use dayone_web::{CommonSettings, ServiceSettings};
use serde::Deserialize;

/// The common settings (config/base.yaml, APP_* variables); add a section of
/// this service's own beside them when it needs one.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub common: CommonSettings,
}

impl ServiceSettings for Settings {
    const LIST_KEYS: &'static [&'static str] = &[];

    fn common(&self) -> &CommonSettings {
        &self.common
    }
}
