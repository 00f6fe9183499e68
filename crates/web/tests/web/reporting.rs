//! Server errors reach Sentry (a local fake ingest) once each, and the alert
//! webhook (a fake Slack) once per kind per window.

use std::net::SocketAddr;
use std::time::Duration;

use dayone_fakes::{FakeSaas, Keys, Received};
use dayone_test_support::{TestEnv, consistently, eventually};
use serde_json::Value;

use crate::helpers::{self, TestApp};

struct Reporting {
    app: TestApp,
    fakes: FakeSaas,
    _guard: dayone_web::reporting::ReportingGuard,
}

async fn spawn_with_reporting() -> Reporting {
    let fakes = FakeSaas::start(SocketAddr::from(([127, 0, 0, 1], 0)), Keys::default())
        .await
        .unwrap();
    let mut env = TestEnv::new("webtest").await.unwrap();
    env.set(
        "APP_SENTRY__DSN",
        format!("http://public-key@{}/42", fakes.addr),
    )
    .set(
        "APP_ALERTS__WEBHOOK_URL",
        format!("{}/services/TDAYONE/BALERTS/secret", fakes.url()),
    )
    .set("APP_ALERTS__WINDOW_SECS", "600");
    let settings = helpers::settings(&env);
    let guard = dayone_web::reporting::init("webtest", &settings.common);
    let app = helpers::spawn(&env).await;
    helpers::wait_ready(&app).await;
    // The env (and its Redis prefix) must outlive the app's requests.
    std::mem::forget(env);
    Reporting {
        app,
        fakes,
        _guard: guard,
    }
}

async fn wait_for(fakes: &FakeSaas, channel: &str, count: usize) -> Vec<Received> {
    eventually(Duration::from_secs(10), || async {
        let got = fakes.received(channel);
        (got.len() >= count).then_some(got)
    })
    .await
    .unwrap_or_else(|| {
        panic!(
            "expected {count} {channel} request(s), got {}",
            fakes.received(channel).len()
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_is_one_sentry_event_and_one_alert_and_a_storm_adds_no_alerts() {
    let Reporting { app, fakes, _guard } = spawn_with_reporting().await;
    let user = uuid::Uuid::new_v4();
    let url = format!("{}/v1/webtest/users/{user}/fail", app.address);
    let response = app
        .client
        .post(&url)
        .header("x-request-id", "forced-500-first")
        .json(&serde_json::json!({"password": "hunter2hunter2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);

    let events = wait_for(&fakes, "sentry", 1).await;
    let alerts = wait_for(&fakes, "slack", 1).await;
    consistently(Duration::from_millis(500), || async {
        fakes.received("sentry").len() == 1 && fakes.received("slack").len() == 1
    })
    .await;
    assert_eq!(
        fakes.received("sentry").len(),
        1,
        "exactly one event: {:#?}",
        fakes
            .received("sentry")
            .iter()
            .map(|r| &r.body)
            .collect::<Vec<_>>()
    );
    assert_eq!(fakes.received("slack").len(), 1, "exactly one alert");

    let event = &events[0].body;
    assert_eq!(event["tags"]["request_id"], "forced-500-first");
    assert_eq!(event["tags"]["user_uuid"], user.to_string());
    assert_eq!(event["tags"]["service"], "webtest");
    assert_eq!(event["tags"]["route"], "/v1/webtest/users/{id}/fail");
    assert_eq!(event["user"]["id"], user.to_string());
    assert_eq!(event["environment"], "test");
    assert!(
        event["release"]
            .as_str()
            .unwrap()
            .starts_with("dayone-webtest@"),
        "{event}"
    );
    assert_eq!(event["exception"]["values"][0]["type"], "internal_error");
    assert_eq!(
        event["exception"]["values"][0]["value"],
        "the ledger table is missing"
    );
    assert_eq!(event["_project"], "42");
    // No request bodies (nor headers) ever leave for Sentry.
    assert!(event.get("request").is_none_or(Value::is_null), "{event}");
    assert!(!event.to_string().contains("hunter2"), "{event}");
    let text = alerts[0].body["text"].as_str().unwrap();
    assert!(text.contains("webtest"), "{text}");
    assert!(text.contains("/v1/webtest/users/{id}/fail"), "{text}");
    assert!(text.contains("forced-500-first"), "{text}");

    // A storm of the same error: every one is reported to Sentry, which
    // groups them by fingerprint, but the webhook stays quiet.
    for _ in 0..20 {
        let status = app.client.post(&url).send().await.unwrap().status();
        assert_eq!(status, 500);
    }
    let events = wait_for(&fakes, "sentry", 21).await;
    let fingerprints: Vec<&Value> = events.iter().map(|e| &e.body["fingerprint"]).collect();
    assert!(fingerprints.windows(2).all(|w| w[0] == w[1]), "one group");
    consistently(Duration::from_secs(1), || async {
        fakes.received("slack").len() == 1
    })
    .await;
    assert_eq!(
        fakes.received("slack").len(),
        1,
        "no more alerts in the window"
    );

    // Another kind of error is a new alert.
    let status = app
        .client
        .get(format!("{}/v1/webtest/fail", app.address))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 500);
    wait_for(&fakes, "slack", 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_is_a_500_for_the_client_and_an_event_with_the_request_id() {
    let Reporting { app, fakes, _guard } = spawn_with_reporting().await;
    let response = app
        .client
        .get(format!("{}/v1/webtest/panic", app.address))
        .header("x-request-id", "panicking-request")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "internal_error");
    assert_eq!(body["request_id"], "panicking-request");

    let events = wait_for(&fakes, "sentry", 1).await;
    let event = &events[0].body;
    assert_eq!(event["tags"]["request_id"], "panicking-request");
    assert!(event.to_string().contains("the invariant broke"), "{event}");
    let alerts = wait_for(&fakes, "slack", 1).await;
    assert!(
        alerts[0].body["text"].as_str().unwrap().contains("panic"),
        "{:?}",
        alerts[0].body
    );

    // The worker survived: the service still answers.
    assert_eq!(app.get("/health").await.status(), 200);
    let one = consistently(Duration::from_millis(300), || async {
        fakes.received("sentry").len() == 1
    })
    .await;
    assert!(one, "the panic is one event");
}
