//! Observability of the running test stack: one trace across the gateway,
//! HTTP and RabbitMQ (spans read back from the fake OTLP receiver the
//! services export to), and Prometheus scraping every service.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::time::Duration;

use dayone_test_support::{TestStack, eventually};
use serde_json::Value;

async fn spans_of(stack: &TestStack, trace_id: &str) -> Vec<Value> {
    let url = format!("http://127.0.0.1:{}/_fake/spans", stack.port("FAKES_PORT"));
    let all: Vec<Value> = match reqwest::get(&url).await {
        Ok(r) => r.json().await.unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    all.into_iter()
        .map(|r| r["body"].clone())
        .filter(|s| s["trace_id"] == trace_id)
        .collect()
}

/// The gateway -> handler -> publish -> consumer chain, once all four
/// spans have arrived.
fn chain(spans: &[Value], gateway_span: &str) -> Option<(Value, Value, Value)> {
    let handler = spans.iter().find(|s| {
        s["kind"] == "SPAN_KIND_SERVER"
            && s["service"] == "dayone-auth"
            && s["name"] == "POST /v1/auth/register"
            && s["parent_span_id"] == gateway_span
    })?;
    spans
        .iter()
        .filter(|s| {
            s["kind"] == "SPAN_KIND_PRODUCER"
                && s["name"] == "notification.email publish"
                && s["parent_span_id"] == handler["span_id"]
        })
        .find_map(|publish| {
            let consumer = spans.iter().find(|s| {
                s["kind"] == "SPAN_KIND_CONSUMER"
                    && s["service"] == "dayone-notification"
                    && s["parent_span_id"] == publish["span_id"]
            })?;
            Some((handler.clone(), publish.clone(), consumer.clone()))
        })
}

#[tokio::test]
async fn one_trace_links_the_gateway_the_auth_handler_the_publish_and_the_email_consumer() {
    let stack = TestStack::load();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let request_id = format!("trace-{tag}");
    let email = format!("traced-{tag}@example.com");
    let response = reqwest::Client::new()
        .post(format!("{}/v1/auth/register", stack.gateway_url()))
        .header("x-request-id", &request_id)
        .json(&serde_json::json!({"email": email, "password": "a long traced passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    // The gateway started the trace: its access-log line has the ids.
    let gateway_line = stack
        .wait_for_log_line(
            "gateway-access",
            &[&request_id],
            Duration::from_secs(5),
            |_| true,
        )
        .await
        .expect("the gateway logged the request");
    let trace_id = gateway_line["trace_id"].as_str().unwrap().to_owned();
    let gateway_span = gateway_line["span_id"].as_str().unwrap().to_owned();
    assert_eq!(trace_id.len(), 32, "{gateway_line}");
    assert_eq!(gateway_span.len(), 16, "{gateway_line}");

    // auth handler <- gateway; publish <- auth handler; consumer <- publish.
    let found = eventually(Duration::from_secs(20), || async {
        chain(&spans_of(&stack, &trace_id).await, &gateway_span)
    })
    .await;
    let Some((handler, _publish, consumer)) = found else {
        panic!(
            "no gateway -> auth -> publish -> notification chain in {:#?}",
            spans_of(&stack, &trace_id).await
        )
    };
    assert_eq!(handler["attributes"]["http.response.status_code"], 201);
    assert_eq!(handler["attributes"]["request_id"], request_id.as_str());
    assert_eq!(consumer["attributes"]["messaging.outcome"], "done");
    assert_eq!(
        consumer["attributes"]["messaging.message.type"],
        "notification.email"
    );

    // The JSON logs carry the same trace: the auth request line and the
    // notification consumer's "sending ... email" line.
    for (log, needle) in [
        ("auth-1", "request completed"),
        ("notification-1", "sending welcome email"),
    ] {
        let line = stack
            .wait_for_log_line(log, &[&trace_id, needle], Duration::from_secs(10), |_| true)
            .await
            .unwrap_or_else(|| panic!("{log} has no `{needle}` line in trace {trace_id}"));
        assert_eq!(line["request_id"], request_id.as_str(), "{line}");
    }
}

#[tokio::test]
async fn prometheus_scrapes_every_service_and_loads_the_alert_rules() {
    let stack = TestStack::load();
    let prometheus = format!("http://127.0.0.1:{}", stack.port("PROM_PORT"));
    let services: Vec<&str> = dayone_model::services::SERVICES
        .iter()
        .map(|s| s.name)
        .collect();
    let targets = eventually(Duration::from_secs(40), || async {
        let body: Value = reqwest::get(format!("{prometheus}/api/v1/targets?state=active"))
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let targets = body["data"]["activeTargets"].as_array()?.clone();
        let all_up = services.iter().all(|job| {
            let of_job: Vec<&Value> = targets
                .iter()
                .filter(|t| t["labels"]["job"] == *job)
                .collect();
            !of_job.is_empty() && of_job.iter().all(|t| t["health"] == "up")
        });
        all_up.then_some(targets)
    })
    .await
    .expect("every service's targets up in Prometheus");
    assert!(targets.len() >= services.len());

    // The scraped series are the services' own.
    let query: Value = reqwest::get(format!(
        "{prometheus}/api/v1/query?query=count%20by%20(job)%20(process_resident_memory_bytes)"
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let jobs: Vec<&str> = query["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["metric"]["job"].as_str())
        .collect();
    for job in services {
        assert!(jobs.contains(&job), "{job} missing from {jobs:?}");
    }

    let rules: Value = reqwest::get(format!("{prometheus}/api/v1/rules"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = rules["data"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap())
        .filter_map(|r| r["name"].as_str())
        .collect();
    for rule in [
        "HighErrorRate",
        "QueueBacklog",
        "DeadLetterQueueNotEmpty",
        "DiskAlmostFull",
        "ServiceDown",
    ] {
        assert!(names.contains(&rule), "{rule} not loaded: {names:?}");
    }
}
