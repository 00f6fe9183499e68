//! CORS at the gateway, header by header (the browser's view of the same is
//! tests/browser.rs): preflights answered by nginx, the allow-list of
//! `GATEWAY_CORS_ORIGINS` (scripts/env/test.env), and the headers on the
//! services' answers and on nginx's own errors.

use std::net::{IpAddr, Ipv4Addr};

use dayone_test_support::TestStack;
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::gateway;

fn allowed_origins() -> Vec<String> {
    TestStack::load()
        .get("GATEWAY_CORS_ORIGINS")
        .trim_matches('"')
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

fn allowed_origin() -> String {
    allowed_origins()
        .into_iter()
        .next()
        .expect("an allowed origin")
}

async fn preflight(path: &str, origin: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(Method::OPTIONS, gateway(path))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type, idempotency-key",
        )
        .send()
        .await
        .unwrap()
}

async fn from_origin(client: &reqwest::Client, path: &str, origin: &str) -> reqwest::Response {
    client
        .get(gateway(path))
        .header("origin", origin)
        .send()
        .await
        .unwrap()
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> &'h str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in {headers:?}"))
        .to_str()
        .unwrap()
}

/// The comma-separated list of a header, lower-cased, every line of it.
fn listed(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .map(|item| item.trim().to_ascii_lowercase())
        .collect()
}

#[track_caller]
fn assert_no_cors_headers(case: &str, headers: &HeaderMap) {
    let cors: Vec<_> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("access-control-"))
        .collect();
    assert!(cors.is_empty(), "{case}: {cors:?}");
}

#[tokio::test]
async fn an_allowed_origins_preflight_is_answered_by_the_gateway_with_what_the_api_reads() {
    let origins = allowed_origins();
    assert!(origins.len() > 1, "test.env lists several origins");
    for origin in &origins {
        for path in ["/v1/auth/me", "/v1/orders", "/v2/products"] {
            let response = preflight(path, origin).await;
            let case = format!("{origin} {path}");
            assert_eq!(response.status(), 204, "{case}");
            let headers = response.headers();
            assert!(
                headers.get("x-served-by").is_none(),
                "{case} reached a service"
            );
            assert_eq!(header(headers, "access-control-allow-origin"), origin);
            let methods = listed(headers, "access-control-allow-methods");
            for method in ["get", "post", "put", "patch", "delete"] {
                assert!(methods.iter().any(|m| m == method), "{case}: {methods:?}");
            }
            let allowed = listed(headers, "access-control-allow-headers");
            for name in [
                "authorization",
                "content-type",
                "idempotency-key",
                "x-request-id",
                "traceparent",
            ] {
                assert!(allowed.iter().any(|h| h == name), "{case}: {allowed:?}");
            }
            let max_age: u32 = header(headers, "access-control-max-age").parse().unwrap();
            assert!(max_age >= 600, "{case}: {max_age}");
            assert!(listed(headers, "vary").contains(&"origin".into()), "{case}");
            // Bearer tokens, not cookies.
            assert!(headers.get("access-control-allow-credentials").is_none());
            assert!(headers.get("x-request-id").is_some(), "{case}");
        }
    }
}

#[tokio::test]
async fn a_preflight_from_any_other_origin_is_a_json_403_without_cors_headers() {
    let allowed = allowed_origin();
    let port = allowed.rsplit(':').next().unwrap();
    for origin in [
        "http://evil.example".to_owned(),
        "null".to_owned(),
        format!("{allowed}/"),
        format!("{allowed}.evil.example"),
        format!("https://127.0.0.1:{port}"),
        format!("http://127.0.0.1:{}", port.parse::<u16>().unwrap() + 1),
    ] {
        let response = preflight("/v1/auth/me", &origin).await;
        assert_eq!(response.status(), 403, "{origin}");
        let headers = response.headers().clone();
        assert_no_cors_headers(&origin, &headers);
        assert!(
            headers.get("x-served-by").is_none(),
            "{origin} reached a service"
        );
        assert_eq!(header(&headers, "content-type"), "application/json");
        assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
        assert_eq!(header(&headers, "cache-control"), "no-store");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "origin_not_allowed", "{origin}");
        assert!(body["message"].is_string());
        assert_eq!(body["request_id"], header(&headers, "x-request-id"));
    }
}

#[tokio::test]
async fn an_options_request_that_is_not_a_preflight_still_reaches_the_service() {
    let response = reqwest::Client::new()
        .request(Method::OPTIONS, gateway("/v1/auth/me"))
        .header("origin", allowed_origin())
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("x-served-by").is_some());
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn answers_carry_cors_headers_for_an_allowed_origin_and_none_for_others() {
    let client = reqwest::Client::new();
    let origin = allowed_origin();
    // A service's success and a service's error alike.
    for path in ["/v1/auth/health", "/v1/orders"] {
        let response = from_origin(&client, path, &origin).await;
        assert!(response.headers().get("x-served-by").is_some(), "{path}");
        let headers = response.headers();
        assert_eq!(header(headers, "access-control-allow-origin"), origin);
        let exposed = listed(headers, "access-control-expose-headers");
        for name in [
            "x-request-id",
            "retry-after",
            "location",
            "www-authenticate",
        ] {
            assert!(exposed.iter().any(|h| h == name), "{path}: {exposed:?}");
        }
        assert!(listed(headers, "vary").contains(&"origin".into()), "{path}");
        assert!(headers.get("access-control-allow-credentials").is_none());
        // Preflight-only headers stay on preflights.
        assert!(headers.get("access-control-allow-methods").is_none());
    }
    let refused = from_origin(&client, "/v1/auth/health", "http://evil.example").await;
    assert_eq!(
        refused.status(),
        200,
        "the gateway does not block, the browser does"
    );
    assert_no_cors_headers("refused origin", refused.headers());
    let none = client.get(gateway("/v1/auth/health")).send().await.unwrap();
    assert_no_cors_headers("no origin", none.headers());
}

#[tokio::test]
async fn nginx_errors_carry_cors_headers_so_a_browser_on_an_allowed_origin_can_read_them() {
    let origin = allowed_origin();
    let client = reqwest::Client::new();
    let missing = from_origin(&client, "/no-such-path", &origin).await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        header(missing.headers(), "access-control-allow-origin"),
        origin
    );

    // Its rate limit, from 127.0.0.3 so other tests keep their budget.
    let flooder = reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3)))
        .build()
        .unwrap();
    let requests = (0..400).map(|_| from_origin(&flooder, "/v1/core/health", &origin));
    let responses = futures_util::future::join_all(requests).await;
    let limited = responses
        .iter()
        .find(|r| r.status() == 429)
        .expect("400 requests at once exceed burst 100");
    let headers = limited.headers();
    assert_eq!(header(headers, "access-control-allow-origin"), origin);
    assert!(
        listed(headers, "access-control-expose-headers").contains(&"retry-after".into()),
        "{headers:?}"
    );
    assert_eq!(header(headers, "retry-after"), "1");
}

/// nginx's add_header is all or nothing per location: one that sets its own
/// headers drops the server's, so every location of the API's routes that
/// sets any must name the CORS headers too (or a browser could not read
/// that answer). The pages are same-origin and need none.
#[test]
fn every_location_that_sets_headers_includes_the_cors_headers() {
    let routes =
        std::fs::read_to_string(dayone_test_support::repo_root().join("nginx/dayone-routes.conf"))
            .unwrap();
    let mut checked = 0;
    for block in routes.split("\nlocation ").skip(1) {
        let name = block.lines().next().unwrap();
        let body = &block[..block.find("\n}").unwrap()];
        let is_page = name.contains("verify-email") || name.contains("/gateway/pages/");
        if body.contains("add_header") && !is_page {
            assert!(
                body.contains("include dayone-cors.conf;"),
                "location {name}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} locations found");
    let proxy =
        std::fs::read_to_string(dayone_test_support::repo_root().join("nginx/dayone-proxy.conf"))
            .unwrap();
    assert!(proxy.contains("include dayone-cors.conf;"));
}
