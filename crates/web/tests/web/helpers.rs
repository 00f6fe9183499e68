use std::time::Duration;

use actix_web::{HttpResponse, web};
use dayone_telemetry::RequestContext;
use dayone_test_support::{TestEnv, config_dir};
use dayone_web::{
    ApiError, CommonSettings, RunningService, ServiceInfo, ServiceRuntime, ServiceSettings,
};
use serde::Deserialize;

pub const INFO: ServiceInfo = ServiceInfo {
    name: "webtest",
    prefix: "/v1/webtest",
    version: "0.0.0",
};

#[derive(Debug, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub common: CommonSettings,
}

impl ServiceSettings for Settings {
    fn common(&self) -> &CommonSettings {
        &self.common
    }
}

pub struct TestApp {
    pub address: String,
    pub metrics_address: String,
    pub client: reqwest::Client,
}

#[derive(Deserialize)]
struct Echo {
    name: String,
}

async fn echo(body: web::Json<Echo>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "name": body.name }))
}

async fn context() -> HttpResponse {
    let ctx = RequestContext::current().unwrap();
    HttpResponse::Ok().json(serde_json::json!({
        "request_id": ctx.request_id,
        "trace_id": ctx.trace.trace_id,
    }))
}

async fn fail() -> Result<HttpResponse, ApiError> {
    Err(ApiError::internal(anyhow::anyhow!(
        "connection to 10.0.0.7 refused: password authentication failed"
    )))
}

/// A 500 in a handler that knows its user (as the auth extractor would).
async fn fail_as_user(user: web::Path<uuid::Uuid>) -> Result<HttpResponse, ApiError> {
    RequestContext::set_current_user(user.into_inner());
    Err(ApiError::internal(anyhow::anyhow!(
        "the ledger table is missing"
    )))
}

#[allow(clippy::panic)]
async fn panics() -> HttpResponse {
    panic!("the invariant broke")
}

async fn slow() -> HttpResponse {
    tokio::time::sleep(Duration::from_millis(1500)).await;
    HttpResponse::Ok().body("finished")
}

pub fn settings(env: &TestEnv) -> Settings {
    dayone_web::settings::load_with("webtest", &config_dir(), env.vars.clone()).unwrap()
}

/// Builds a service on the shared runtime with a few test routes.
pub async fn build(env: &TestEnv) -> RunningService {
    let settings = settings(env);
    let runtime = ServiceRuntime::connect(INFO, settings.common, &[])
        .await
        .unwrap();
    runtime
        .serve(|cfg| {
            cfg.route("/v1/webtest/echo", web::post().to(echo))
                .route("/v1/webtest/context", web::get().to(context))
                .route("/v1/webtest/fail", web::get().to(fail))
                .route("/v1/webtest/users/{id}/fail", web::post().to(fail_as_user))
                .route("/v1/webtest/panic", web::get().to(panics))
                .route("/v1/webtest/slow", web::get().to(slow))
                .route("/v1/webtest/items/{id}", web::get().to(item));
        })
        .unwrap()
}

async fn item(id: web::Path<uuid::Uuid>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "id": id.into_inner() }))
}

pub async fn spawn(env: &TestEnv) -> TestApp {
    let service = build(env).await;
    let app = TestApp {
        address: format!("http://127.0.0.1:{}", service.port()),
        metrics_address: format!("http://127.0.0.1:{}", service.metrics_port()),
        client: reqwest::Client::new(),
    };
    tokio::spawn(service.run_until(std::future::pending()));
    app
}

pub async fn spawn_app() -> TestApp {
    let env = TestEnv::new("webtest").await.unwrap();
    let app = spawn(&env).await;
    // The broker connects in the background; readiness waits for it.
    wait_ready(&app).await;
    app
}

pub async fn wait_ready(app: &TestApp) {
    let ready = dayone_test_support::eventually(Duration::from_secs(10), || async {
        let status = app
            .client
            .get(format!("{}/ready", app.address))
            .send()
            .await
            .ok()?
            .status();
        (status == 200).then_some(())
    })
    .await;
    assert!(ready.is_some(), "the app never became ready");
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap()
    }
}
