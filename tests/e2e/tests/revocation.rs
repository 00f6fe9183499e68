//! Session revocation across services: another service, verifying tokens
//! with auth's JWKS and no call to auth per request, refuses a revoked
//! session's access token within a second, and a service that starts after
//! the revocation refuses it from the first request.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::time::{Duration, Instant};

use actix_web::{HttpResponse, web};
use dayone_test_support::app::{TestApp, spawn};
use dayone_test_support::{TestEnv, config_dir, eventually};
use dayone_web::auth::AuthenticatedUser;
use dayone_web::{CommonSettings, ServiceInfo, ServiceRuntime, ServiceSettings};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct OtherSettings {
    #[serde(flatten)]
    common: CommonSettings,
}

impl ServiceSettings for OtherSettings {
    fn common(&self) -> &CommonSettings {
        &self.common
    }
}

async fn whoami(user: AuthenticatedUser) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "user": user.user_uuid }))
}

/// A service on the shared runtime with one protected route, verifying
/// tokens against `auth`'s JWKS.
async fn spawn_other(auth: &TestApp) -> String {
    let mut env = auth.env.sibling("other").await.unwrap();
    env.set(
        "APP_TOKENS__JWKS_URL",
        format!("{}/v1/auth/.well-known/jwks.json", auth.address),
    );
    let settings: OtherSettings =
        dayone_web::settings::load_with("core", &config_dir(), env.vars.clone()).unwrap();
    let info = ServiceInfo {
        name: "other",
        prefix: "/v1/other",
        version: "0",
    };
    let runtime = ServiceRuntime::connect(info, settings.common, &[])
        .await
        .unwrap();
    let service = runtime
        .serve(|cfg| {
            cfg.route("/v1/other/whoami", web::get().to(whoami));
        })
        .unwrap();
    let address = format!("http://127.0.0.1:{}", service.port());
    tokio::spawn(service.run_until(std::future::pending()));
    let ready = eventually(Duration::from_secs(10), || async {
        let r = reqwest::get(format!("{address}/ready")).await.ok()?;
        (r.status() == 200).then_some(())
    })
    .await;
    assert!(ready.is_some());
    // The revocation subscription is set up right after the connection.
    tokio::time::sleep(Duration::from_millis(300)).await;
    address
}

async fn login(auth: &TestApp, email: &str) -> (String, String) {
    let tokens: Value = auth
        .client
        .post(auth.url("/v1/auth/login"))
        .json(&json!({"email": email, "password": "correct horse battery staple"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        tokens["access_token"].as_str().unwrap().to_owned(),
        tokens["refresh_token"].as_str().unwrap().to_owned(),
    )
}

async fn status(client: &reqwest::Client, url: &str, token: &str) -> u16 {
    client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn every_service_refuses_a_revoked_session_within_a_second() {
    let auth_env = TestEnv::new("auth").await.unwrap();
    let auth = spawn::<dayone_auth::Settings, auth_migration::Migrator, _, _>(
        "auth",
        auth_env,
        dayone_auth::Application::build,
    )
    .await;
    let other = spawn_other(&auth).await;
    let client = reqwest::Client::new();
    let whoami = format!("{other}/v1/other/whoami");

    let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
    let registered = client
        .post(auth.url("/v1/auth/register"))
        .json(&json!({"email": email, "password": "correct horse battery staple"}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let (token, _) = login(&auth, &email).await;
    let (second_device, _) = login(&auth, &email).await;
    assert_eq!(
        status(&client, &whoami, &token).await,
        200,
        "the other service accepts auth's token"
    );

    let logout = client
        .post(auth.url("/v1/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    let logged_out = Instant::now();
    let refused = eventually(Duration::from_secs(5), || async {
        (status(&client, &whoami, &token).await == 401).then(Instant::now)
    })
    .await
    .expect("the other service refused the revoked token");
    let took = refused - logged_out;
    println!("the other service refused the revoked session after {took:?}");
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert_eq!(
        status(&client, &whoami, &second_device).await,
        200,
        "only that session"
    );

    // A service that starts after the revocation knows it from Redis.
    let late = spawn_other(&auth).await;
    let late_whoami = format!("{late}/v1/other/whoami");
    assert_eq!(status(&client, &late_whoami, &token).await, 401);
    assert_eq!(status(&client, &late_whoami, &second_device).await, 200);
}
