//! The pages the gateway serves behind emailed links (/verify-email,
//! /reset-password), as HTTP sees them; tests/browser.rs runs them.

use std::time::Duration;

use dayone_test_support::TestStack;

use super::gateway;

#[tokio::test]
async fn the_link_pages_are_static_html_under_a_self_only_policy_that_keeps_the_token_to_itself() {
    let stack = TestStack::load();
    for page in ["verify-email", "reset-password"] {
        let token = format!("tok{}", uuid::Uuid::new_v4().simple());
        let request_id = format!("page-{}", uuid::Uuid::new_v4().simple());
        let response = reqwest::Client::new()
            .get(gateway(&format!("/{page}?token={token}")))
            .header("x-request-id", &request_id)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{page}");
        let headers = response.headers().clone();
        let get = |name: &str| headers[name].to_str().unwrap().to_owned();
        assert_eq!(get("content-type"), "text/html; charset=utf-8", "{page}");
        let policy = get("content-security-policy");
        assert!(policy.contains("default-src 'self'"), "{page}: {policy}");
        assert!(policy.contains("form-action 'none'"), "{page}: {policy}");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{page}: {policy}"
        );
        assert_eq!(get("referrer-policy"), "no-referrer", "{page}");
        assert_eq!(get("x-content-type-options"), "nosniff", "{page}");
        assert_eq!(get("cache-control"), "no-store", "{page}");
        assert_eq!(get("x-request-id"), request_id, "{page}");

        let html = response.text().await.unwrap();
        assert!(!html.contains(&token), "{page} echoes the token");
        // Only external scripts, which the policy admits from this origin.
        for script in html.split("<script").skip(1) {
            let tag = &script[..script.find('>').unwrap()];
            assert!(
                tag.contains("src=\"/gateway/pages/"),
                "{page}: <script{tag}>"
            );
            assert!(
                script[tag.len() + 1..].starts_with("</script>"),
                "{page}: inline code"
            );
        }
        assert!(!html.contains(" on"), "{page}: an inline event handler");

        // The access log has the path, never the query with the token.
        let line = stack
            .wait_for_log_line(
                "gateway-access",
                &[&request_id],
                Duration::from_secs(10),
                |_| true,
            )
            .await
            .expect("the page request is logged");
        assert_eq!(line["uri"], format!("/{page}"));
        assert!(!line.to_string().contains(&token), "{line}");
    }

    for (asset, kind) in [
        ("pages.js", "application/javascript"),
        ("pages.css", "text/css"),
    ] {
        let response = reqwest::get(gateway(&format!("/gateway/pages/{asset}")))
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        let kind_sent = response.headers()["content-type"].to_str().unwrap();
        assert!(kind_sent.starts_with(kind), "{asset}: {kind_sent}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    }
    // The named files only: nothing else of the directory.
    for path in [
        "/gateway/pages/verify-email.html",
        "/gateway/pages/",
        "/gateway/pages/pages.js.map",
        "/verify-email.html",
        "/verify-email/",
    ] {
        let response = reqwest::get(gateway(path)).await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn the_pages_are_only_read() {
    let response = reqwest::Client::new()
        .post(gateway("/reset-password"))
        .body("password=hunter22")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, HEAD");
}
