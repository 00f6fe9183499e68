use dayone_web::{CommonSettings, ServiceSettings};
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub common: CommonSettings,
    pub core: CoreSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CoreSettings {
    pub search: SearchSettings,
    /// Used until an admin stores thresholds in Redis.
    pub app_versions: AppVersionDefaults,
    pub v1_products_deprecated_at: chrono::DateTime<chrono::Utc>,
    pub v1_products_sunset: chrono::DateTime<chrono::Utc>,
    pub default_currency: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchBackendKind {
    Tantivy,
    Elasticsearch,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SearchSettings {
    pub backend: SearchBackendKind,
    pub elasticsearch: ElasticsearchSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ElasticsearchSettings {
    pub url: String,
    pub index: String,
    #[serde(default)]
    pub username: String,
    pub password: SecretString,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AppVersionDefaults {
    pub ios: AppVersionPolicy,
    pub android: AppVersionPolicy,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct AppVersionPolicy {
    pub latest_version: String,
    pub min_supported_version: String,
    pub update_url: String,
}

impl ServiceSettings for Settings {
    fn common(&self) -> &CommonSettings {
        &self.common
    }
}
