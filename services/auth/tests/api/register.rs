use serde_json::{Value, json};

use crate::helpers::{PASSWORD, error_code, spawn_app, unique_email, unique_phone};

#[tokio::test]
async fn register_returns_201_with_the_user_and_never_the_internal_id() {
    let app = spawn_app().await;
    let email = unique_email();
    let response = app
        .post("/v1/auth/register", json!({"email": email.to_uppercase(), "password": PASSWORD, "name": " Ada ", "phone": "+1 555 010 0000"}))
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["email"], email, "stored lower-cased");
    assert_eq!(body["name"], "Ada");
    assert_eq!(body["phone"], "+15550100000");
    assert_eq!(body["roles"], json!(["user"]));
    assert_eq!(body["email_verified"], false);
    assert_eq!(
        location,
        format!("/v1/users/{}", body["uuid"].as_str().unwrap())
    );
    assert!(
        body.get("id").is_none() && body.get("password_hash").is_none(),
        "{body}"
    );
}

#[tokio::test]
async fn register_publishes_user_registered_and_the_welcome_and_verification_emails() {
    let app = spawn_app().await;
    let email = unique_email();
    let user = app.register(&email, None).await;
    let uuid = user["uuid"].as_str().unwrap();

    let welcome = app
        .job("notification.email", |j| {
            j["payload"]["template"] == "welcome"
        })
        .await;
    assert_eq!(welcome["payload"]["recipient"]["email"], email.as_str());
    assert_eq!(welcome["payload"]["recipient"]["user_uuid"], uuid);
    let verify = app
        .job("notification.email", |j| {
            j["payload"]["template"] == "verify_email"
        })
        .await;
    assert!(
        verify["payload"]["link"]
            .as_str()
            .unwrap()
            .contains("/verify-email?token=")
    );
    let registered = app
        .job("notification.user-events", |j| {
            j["type"] == "user.registered"
        })
        .await;
    assert_eq!(registered["payload"]["user_uuid"], uuid);
}

#[tokio::test]
async fn a_duplicate_email_is_409_whatever_its_case() {
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&email, None).await;
    let again = app
        .post(
            "/v1/auth/register",
            json!({"email": email.to_uppercase(), "password": PASSWORD}),
        )
        .await;
    assert_eq!(error_code(again).await, (409, "email_taken".into()));
}

#[tokio::test]
async fn a_phone_of_another_account_is_409() {
    let app = spawn_app().await;
    let phone = unique_phone();
    app.register(&unique_email(), Some(&phone)).await;
    let again = app
        .post(
            "/v1/auth/register",
            json!({"email": unique_email(), "password": PASSWORD, "phone": phone}),
        )
        .await;
    assert_eq!(error_code(again).await, (409, "phone_taken".into()));
}

#[tokio::test]
async fn invalid_fields_are_a_422_listing_every_problem_per_field() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"email": "not-an-email", "password": PASSWORD}),
            vec!["email"],
        ),
        (
            json!({"email": unique_email(), "password": "short"}),
            vec!["password"],
        ),
        (
            json!({"email": unique_email(), "password": "password123"}),
            vec!["password"],
        ),
        (
            json!({"email": unique_email(), "password": PASSWORD, "phone": "0151 123"}),
            vec!["phone"],
        ),
        (
            json!({"email": unique_email(), "password": PASSWORD, "name": "  "}),
            vec!["name"],
        ),
        (
            json!({"email": "x@", "password": "1234", "phone": "12"}),
            vec!["email", "password", "phone"],
        ),
    ];
    for (body, fields) in cases {
        let response = app.post("/v1/auth/register", body.clone()).await;
        assert_eq!(response.status(), 422, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["code"], "validation_failed");
        let reported: Vec<&str> = error["details"]["fields"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(reported, fields, "{body}: {error}");
    }
    let common = app
        .post(
            "/v1/auth/register",
            json!({"email": unique_email(), "password": "password123"}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        common["details"]["fields"]["password"][0],
        "is too common; choose another"
    );
}

#[tokio::test]
async fn missing_or_unknown_fields_are_422_and_broken_json_is_400() {
    let app = spawn_app().await;
    let missing = app
        .post("/v1/auth/register", json!({"email": unique_email()}))
        .await;
    assert_eq!(error_code(missing).await, (422, "validation_failed".into()));
    let unknown = app
        .post(
            "/v1/auth/register",
            json!({"email": unique_email(), "password": PASSWORD, "admin": true}),
        )
        .await;
    assert_eq!(error_code(unknown).await, (422, "validation_failed".into()));
    let broken = app
        .client
        .post(app.url("/v1/auth/register"))
        .header("content-type", "application/json")
        .body("{\"email\":")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(broken).await, (400, "invalid_json".into()));
}

#[tokio::test]
async fn the_openapi_document_describes_the_endpoints() {
    let app = spawn_app().await;
    let doc: Value = app.get("/v1/auth/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/v1/auth/register",
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/auth/otp/verify",
        "/v1/users/{uuid}",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    assert!(
        doc["components"]["schemas"]
            .get("RegisterRequest")
            .is_some()
    );
}

#[tokio::test]
async fn a_wrong_method_on_a_known_path_is_a_json_405() {
    let app = spawn_app().await;
    let response = app.get("/v1/auth/login").await;
    assert_eq!(response.headers()["allow"], "POST");
    assert_eq!(
        error_code(response).await,
        (405, "method_not_allowed".into())
    );
    let response = app.post("/v1/auth/me", serde_json::json!({})).await;
    assert_eq!(response.headers()["allow"], "GET, PATCH");
}
