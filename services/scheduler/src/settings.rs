use dayone_web::{CommonSettings, ServiceSettings};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub common: CommonSettings,
}

impl ServiceSettings for Settings {
    fn common(&self) -> &CommonSettings {
        &self.common
    }
}

impl Settings {
    pub fn load() -> Result<Self, dayone_web::settings::SettingsError> {
        dayone_web::settings::load("scheduler")
    }
}
