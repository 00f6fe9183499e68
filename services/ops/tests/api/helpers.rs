use std::ops::Deref;

use reqwest::header::AUTHORIZATION;

use dayone_ops::{Application, Settings};
use dayone_test_support::app::{TestApp, spawn};
use dayone_test_support::tokens::TestIssuer;
use dayone_test_support::{TestEnv, closed_port, repo_root};

/// The ops service and the issuer of the tokens it is called with.
pub struct OpsApp {
    pub app: TestApp,
    pub issuer: TestIssuer,
}

impl Deref for OpsApp {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.app
    }
}

/// Ops with no API behind it: nothing here signs in through the login API.
pub async fn spawn_app() -> OpsApp {
    let issuer = TestIssuer::start().await;
    let mut env = TestEnv::new("ops").await.unwrap();
    env.set("APP_TOKENS__JWKS_URL", issuer.jwks_url())
        .set(
            "APP_OPS__API_URL",
            format!("http://127.0.0.1:{}", closed_port()),
        )
        .set(
            "APP_OPS__DOCS_ASSETS_DIR",
            repo_root()
                .join("tools/api-reference/node_modules/swagger-ui-dist")
                .display()
                .to_string(),
        );
    let app =
        spawn::<Settings, ops_migration::Migrator, _, _>("ops", env, Application::build).await;
    OpsApp { app, issuer }
}

impl OpsApp {
    /// `GET path` with `token`.
    pub async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
            .await
            .unwrap()
    }
}
