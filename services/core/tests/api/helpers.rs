use std::ops::Deref;
use std::time::Duration;

use dayone_core::{Application, Settings};
use dayone_test_support::TestEnv;
use dayone_test_support::accounts::User;
use dayone_test_support::app::{TestApp, spawn};
use dayone_test_support::tokens::TestIssuer;
use reqwest::Method;
use serde_json::{Value, json};

/// The core service and the issuer of the tokens it is called with.
pub struct CoreApp {
    pub app: TestApp,
    pub issuer: TestIssuer,
}

impl Deref for CoreApp {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.app
    }
}

pub async fn spawn_app() -> CoreApp {
    spawn_app_with(&[]).await
}

/// The core service with settings of its own (`APP_...` variables).
pub async fn spawn_app_with(settings: &[(&str, &str)]) -> CoreApp {
    let issuer = TestIssuer::start().await;
    let mut env = TestEnv::new("core").await.unwrap();
    env.set("APP_TOKENS__JWKS_URL", issuer.jwks_url());
    for (name, value) in settings {
        env.set(name, *value);
    }
    let app =
        spawn::<Settings, core_migration::Migrator, _, _>("core", env, Application::build).await;
    // The embedded index is built when the indexer's subscription starts.
    tokio::time::sleep(Duration::from_millis(300)).await;
    CoreApp { app, issuer }
}

impl CoreApp {
    pub async fn user(&self) -> User {
        self.issuer.user()
    }

    pub async fn admin(&self) -> User {
        self.issuer.admin()
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// Creates a product as `admin` and returns it.
    pub async fn product(
        &self,
        admin: &User,
        name: &str,
        price_cents: i64,
        stock: i32,
        category: &str,
    ) -> Value {
        let response = self
            .send(
                Method::POST,
                "/v1/products",
                Some(&admin.token),
                Some(json!({"name": name, "description": format!("A fine {name}"), "price_cents": price_cents, "stock": stock, "category": category})),
            )
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    pub async fn order(&self, user: &User, items: Value) -> reqwest::Response {
        self.send(
            Method::POST,
            "/v1/orders",
            Some(&user.token),
            Some(json!({"items": items})),
        )
        .await
    }

    /// Job envelopes waiting in one of this test's queues.
    pub async fn jobs(&self, queue: &str) -> Vec<Value> {
        self.env.stack.peek(&self.env.vhost, queue).await.unwrap()
    }
}

pub async fn json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}
