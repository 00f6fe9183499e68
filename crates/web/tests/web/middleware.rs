use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_gateways_request_id_is_kept_and_echoed() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/v1/webtest/context", app.address))
        .header("x-request-id", "gw-1234")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "gw-1234");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["request_id"], "gw-1234");
}

#[tokio::test]
async fn a_missing_or_unsafe_request_id_is_replaced_by_a_new_one() {
    let app = spawn_app().await;
    let mut seen = Vec::new();
    for header in [
        None,
        Some("has spaces"),
        Some("x".repeat(200).as_str().to_owned().leak() as &str),
    ] {
        let mut request = app
            .client
            .get(format!("{}/v1/webtest/context", app.address));
        if let Some(value) = header {
            request = request.header("x-request-id", value);
        }
        let response = request.send().await.unwrap();
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(id.len(), 32, "{id}");
        assert_ne!(Some(id.as_str()), header);
        seen.push(id);
    }
    seen.dedup();
    assert_eq!(seen.len(), 3, "each request gets its own id");
}

#[tokio::test]
async fn an_incoming_traceparent_is_continued() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/v1/webtest/context", app.address))
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
}
