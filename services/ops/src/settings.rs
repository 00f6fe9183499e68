use dayone_web::{CommonSettings, ServiceSettings};
use serde::Deserialize;

/// The common settings (config/base.yaml, APP_* variables) and the console's.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub common: CommonSettings,
    pub ops: OpsSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OpsSettings {
    /// Where the console reaches the other services' APIs (the login API
    /// first): the gateway, or its in-cluster name.
    pub api_url: String,
    /// A console session ends this long after sign-in.
    pub session_ttl_secs: u64,
    /// The vendored Swagger UI (`swagger-ui-dist` from npm, fetched by
    /// `scripts/stack install`), served under /docs/.
    pub docs_assets_dir: String,
}

impl ServiceSettings for Settings {
    const LIST_KEYS: &'static [&'static str] = &[];

    fn common(&self) -> &CommonSettings {
        &self.common
    }
}
