use std::ops::Deref;
use std::time::Duration;

use dayone_auth::{Application, Settings};
use dayone_test_support::TestEnv;
use dayone_test_support::app::{TestApp, spawn};
use reqwest::Response;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct AuthApp(pub TestApp);

impl Deref for AuthApp {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.0
    }
}

pub async fn spawn_app() -> AuthApp {
    spawn_app_with(&[]).await
}

/// With extra `APP_*` settings for the test.
pub async fn spawn_app_with(vars: &[(&str, &str)]) -> AuthApp {
    let mut env = TestEnv::new("auth").await.unwrap();
    for (k, v) in vars {
        env.set(k, *v);
    }
    AuthApp(
        spawn::<Settings, auth_migration::Migrator, _, _>("auth", env, Application::build).await,
    )
}

pub fn unique_email() -> String {
    format!("user-{}@example.com", Uuid::new_v4().simple())
}

/// A random E.164 number.
pub fn unique_phone() -> String {
    format!("+1555{:07}", rand_digits())
}

fn rand_digits() -> u32 {
    (Uuid::new_v4().as_u128() % 10_000_000) as u32
}

#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

impl Tokens {
    fn from(body: &Value) -> Self {
        Self {
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }
}

/// A registered, logged-in user.
pub struct User {
    pub uuid: Uuid,
    pub email: String,
    pub phone: Option<String>,
    pub tokens: Tokens,
}

impl AuthApp {
    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// POSTs `body` as the gateway would for a client at `address`
    /// (`X-Real-IP`, which auth believes from a trusted proxy).
    pub async fn post_from(&self, address: &str, path: &str, body: Value) -> Response {
        self.client
            .post(self.url(path))
            .header("x-real-ip", address)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn send_as(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    pub async fn get_as(&self, path: &str, token: &str) -> Response {
        self.send_as(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post_as(&self, path: &str, token: &str) -> Response {
        self.send_as(reqwest::Method::POST, path, token, None).await
    }

    pub async fn register(&self, email: &str, phone: Option<&str>) -> Value {
        let mut body = json!({"email": email, "password": PASSWORD, "name": "Test User"});
        if let Some(phone) = phone {
            body["phone"] = json!(phone);
        }
        let response = self.post("/v1/auth/register", body).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    pub async fn login_response(&self, email: &str, password: &str) -> Response {
        self.post(
            "/v1/auth/login",
            json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Tokens {
        let response = self.login_response(email, password).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        Tokens::from(&response.json().await.unwrap())
    }

    pub fn tokens(body: &Value) -> Tokens {
        Tokens::from(body)
    }

    pub async fn new_user(&self) -> User {
        let email = unique_email();
        let phone = unique_phone();
        let user = self.register(&email, Some(&phone)).await;
        let tokens = self.login(&email, PASSWORD).await;
        User {
            uuid: user["uuid"].as_str().unwrap().parse().unwrap(),
            email,
            phone: Some(phone),
            tokens,
        }
    }

    /// A logged-in admin (promoted in the database, as `create-admin` does).
    pub async fn new_admin(&self) -> User {
        let user = self.new_user().await;
        self.db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE users SET roles = ARRAY['user','admin'] WHERE uuid = $1",
                [user.uuid.into()],
            ))
            .await
            .unwrap();
        let tokens = self.login(&user.email, PASSWORD).await;
        User { tokens, ..user }
    }

    /// The settings this app was started with.
    pub fn settings(&self) -> dayone_auth::Settings {
        dayone_web::settings::load_with(
            "auth",
            &dayone_test_support::config_dir(),
            self.env.vars.clone(),
        )
        .unwrap()
    }

    /// The app's Redis, with its key prefix.
    pub fn redis(&self) -> dayone_web::redis::Redis {
        dayone_web::redis::Redis::connect_lazy(&self.settings().common.redis).unwrap()
    }

    /// Outbox rows of this type (published or not).
    pub async fn outbox_count(&self, routing_key: &str) -> i64 {
        self.db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT count(*) AS n FROM outbox_messages WHERE routing_key = $1",
                [routing_key.into()],
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "n")
            .unwrap()
    }

    /// The job envelopes in one of this test's queues.
    pub async fn jobs(&self, queue: &str) -> Vec<Value> {
        self.env.stack.peek(&self.env.vhost, queue).await.unwrap()
    }

    /// Waits for a job in `queue` for which `matches` holds.
    pub async fn job(&self, queue: &str, matches: impl Fn(&Value) -> bool) -> Value {
        self.env
            .stack
            .wait_for_message(&self.env.vhost, queue, Duration::from_secs(10), matches)
            .await
            .unwrap_or_else(|| panic!("no matching job in {queue}"))
    }

    /// The code of the newest login SMS sent to `phone`.
    pub async fn sms_code(&self, phone: &str, after: usize) -> String {
        let job = dayone_test_support::eventually(Duration::from_secs(10), || async {
            let sms: Vec<Value> = self
                .jobs("sms.transactional")
                .await
                .into_iter()
                .filter(|j| j["payload"]["recipient"]["phone"] == phone)
                .collect();
            (sms.len() > after).then(|| sms[after].clone())
        })
        .await
        .expect("a login code SMS");
        job["payload"]["code"].as_str().unwrap().to_owned()
    }

    /// The token in the link of the newest `template` email to `email`.
    pub async fn emailed_token(&self, email: &str, template: &str) -> String {
        let job = self
            .job("notification.email", |j| {
                j["payload"]["recipient"]["email"] == email && j["payload"]["template"] == template
            })
            .await;
        let link = job["payload"]["link"].as_str().unwrap();
        link.split("token=").nth(1).unwrap().to_owned()
    }
}

/// The error code of a JSON error response.
pub async fn error_code(response: Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

/// The `amr` claim of an access token (how its session signed in).
pub fn amr(access_token: &str) -> Value {
    use base64::Engine;
    let payload = access_token.split('.').nth(1).unwrap();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice::<Value>(&payload).unwrap()["amr"].clone()
}
