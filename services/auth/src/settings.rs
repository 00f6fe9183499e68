use dayone_web::{CommonSettings, ServiceSettings};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub common: CommonSettings,
    pub auth: AuthSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// bcrypt work factor for new hashes (12 ≈ 200 ms on these machines).
    pub bcrypt_cost: u32,
}

impl ServiceSettings for Settings {
    fn common(&self) -> &CommonSettings {
        &self.common
    }
}

impl Settings {
    pub fn load() -> Result<Self, dayone_web::settings::SettingsError> {
        dayone_web::settings::load("auth")
    }
}
