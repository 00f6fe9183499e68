use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn an_unknown_route_is_a_json_404_with_the_request_id() {
    let app = spawn_app().await;
    let response = app.get("/v1/webtest/nothing-here").await;
    assert_eq!(response.status(), 404);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["message"], "no route for GET /v1/webtest/nothing-here");
    assert_eq!(body["request_id"], request_id);
}

async fn post_echo(
    app: &crate::helpers::TestApp,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/v1/webtest/echo", app.address))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn bad_bodies_get_clear_json_errors_with_the_right_status() {
    let app = spawn_app().await;
    let cases: [(&str, Vec<u8>, u16, &str); 4] = [
        (
            "application/json",
            b"{\"name\": ".to_vec(),
            400,
            "invalid_json",
        ),
        (
            "application/json",
            b"{\"nom\": \"x\"}".to_vec(),
            422,
            "validation_failed",
        ),
        (
            "text/plain",
            b"{\"name\": \"x\"}".to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "application/json",
            format!("{{\"name\": \"{}\"}}", "x".repeat(1024 * 1024 + 1)).into_bytes(),
            413,
            "payload_too_large",
        ),
    ];
    for (content_type, body, status, code) in cases {
        let (got_status, got) = post_echo(&app, content_type, body).await;
        assert_eq!(got_status, status, "{code}: {got}");
        assert_eq!(got["code"], code);
        assert!(
            got["message"].as_str().unwrap().len() > 10,
            "a useful message: {got}"
        );
    }
    let (status, ok) = post_echo(&app, "application/json", b"{\"name\": \"x\"}".to_vec()).await;
    assert_eq!((status, ok["name"].as_str()), (200, Some("x")));
}

#[tokio::test]
async fn a_malformed_path_parameter_is_a_400() {
    let app = spawn_app().await;
    let response = app.get("/v1/webtest/items/not-a-uuid").await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid_path");
}

#[tokio::test]
async fn an_internal_error_hides_its_cause_from_the_client() {
    let app = spawn_app().await;
    let response = app.get("/v1/webtest/fail").await;
    assert_eq!(response.status(), 500);
    let text = response.text().await.unwrap();
    assert!(!text.contains("10.0.0.7"), "{text}");
    assert!(!text.contains("password"), "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["code"], "internal_error");
    assert!(body["request_id"].is_string());
}
