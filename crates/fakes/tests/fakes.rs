//! The fakes answer like the providers they stand for.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use dayone_fakes::{FakeSaas, Keys};
use serde_json::Value;

async fn fake() -> FakeSaas {
    FakeSaas::start("127.0.0.1:0".parse().unwrap(), Keys::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_sms_gateway_checks_credentials_and_numbers_like_twilio() {
    let fake = fake().await;
    let url = format!("{}/2010-04-01/Accounts/AC1/Messages.json", fake.url());
    let client = reqwest::Client::new();
    let form = [
        ("To", "+15550100123"),
        ("From", "+15550001111"),
        ("Body", "hi"),
    ];

    let anonymous = client.post(&url).form(&form).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.json::<Value>().await.unwrap()["code"], 20003);

    let bad = client
        .post(&url)
        .basic_auth("AC1", Some("t"))
        .form(&[("To", "0151"), ("From", "x"), ("Body", "hi")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.json::<Value>().await.unwrap()["code"], 21211);

    let ok = client
        .post(&url)
        .basic_auth("AC1", Some("t"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 201);
    assert!(
        ok.json::<Value>().await.unwrap()["sid"]
            .as_str()
            .unwrap()
            .starts_with("SM")
    );
    assert_eq!(fake.received("sms").len(), 3);
}

#[tokio::test]
async fn apns_requires_http2_and_a_provider_token() {
    let fake = fake().await;
    let url = format!("{}/3/device/{}", fake.url(), "ab".repeat(32));
    let http1 = reqwest::Client::new()
        .post(&url)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(http1.status(), 505);
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let no_token = h2
        .post(&url)
        .header("apns-topic", "x")
        .body(r#"{"aps":{}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 403);
    assert_eq!(
        no_token.json::<Value>().await.unwrap()["reason"],
        "MissingProviderToken"
    );
}

#[tokio::test]
async fn fcm_refuses_calls_without_an_exchanged_access_token() {
    let fake = fake().await;
    let response = reqwest::Client::new()
        .post(format!("{}/v1/projects/p/messages:send", fake.url()))
        .bearer_auth("made-up")
        .json(&serde_json::json!({"message": {"token": "t", "notification": {"title": "a", "body": "b"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["status"],
        "UNAUTHENTICATED"
    );
}

#[test]
fn the_binary_serves_on_the_port_it_is_given() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-saas"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    // The first line is the telemetry banner or the address; find the address.
    for _ in 0..5 {
        line.clear();
        stdout.read_line(&mut line).unwrap();
        if line.contains("listening on") {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        line.contains("fake SaaS listening on http://127.0.0.1:"),
        "{line}"
    );
}
