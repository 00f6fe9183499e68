use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_and_ready_answer_under_the_public_prefix() {
    let app = spawn_app().await;
    let health: Value = app.get("/v1/ops/health").await.json().await.unwrap();
    assert_eq!(health["service"], "ops");
    assert_eq!(app.get("/v1/ops/ready").await.status(), 200);
}

#[tokio::test]
async fn every_console_page_sends_a_stranger_to_the_sign_in_form() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in [
        "/console/",
        "/console/audit",
        "/console/users",
        "/console/jobs",
    ] {
        // No cookie, and a cookie naming no session.
        for cookie in ["", "dayone_console=made-up-session-id"] {
            let response = client
                .get(app.url(path))
                .header(COOKIE, cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path} {cookie}");
            assert_eq!(response.headers()[LOCATION], "/console/sign-in");
        }
    }
    let form = client
        .get(app.url("/console/sign-in"))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let set_cookie = form.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set_cookie.starts_with("dayone_console_signin="),
        "{set_cookie}"
    );
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
}

#[tokio::test]
async fn a_sign_in_without_the_forms_token_is_refused_before_the_login_api_is_asked() {
    // The API behind this ops is a closed port: had it been asked, the
    // answer would be 503, not 403.
    let app = spawn_app().await;
    let form = [
        ("csrf", "forged"),
        ("email", "admin@example.com"),
        ("password", "whatever-it-is"),
    ];
    for cookie in ["", "dayone_console_signin=another-token"] {
        let response = app
            .client
            .post(app.url("/console/sign-in"))
            .header(COOKIE, cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{cookie}");
        let page = response.text().await.unwrap();
        assert!(page.contains("The form expired"), "{page}");
    }
}

#[tokio::test]
async fn the_reference_offers_every_services_document() {
    let app = spawn_app().await;
    let page = app.get("/docs/").await;
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    let script = app.get("/docs/docs.js").await.text().await.unwrap();
    for service in dayone_model::services::SERVICES {
        for url in service.documents {
            assert!(script.contains(url), "{url} missing from {script}");
        }
    }
    let bundle = app.get("/docs/assets/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status(), 200);
    assert_eq!(app.get("/docs/assets/not-a-file.js").await.status(), 404);
}
