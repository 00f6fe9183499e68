//! The running test stack through the nginx gateway, as a client sees it.
//! `make test` starts the stack first (`scripts/stack test up`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use dayone_test_support::{TestStack, eventually};
use serde_json::Value;

#[path = "gateway/api_keys.rs"]
mod api_keys;
#[path = "gateway/cors.rs"]
mod cors;
#[path = "gateway/inbox.rs"]
mod inbox;
#[path = "gateway/mfa.rs"]
mod mfa;
#[path = "gateway/oauth.rs"]
mod oauth;
#[path = "gateway/pages.rs"]
mod pages;
#[path = "gateway/templates.rs"]
mod templates;

fn gateway(path: &str) -> String {
    format!("{}{path}", TestStack::load().gateway_url())
}

async fn get(path: &str) -> reqwest::Response {
    reqwest::get(gateway(path)).await.unwrap_or_else(|e| {
        panic!("the test stack's gateway is not running ({e}); run `scripts/stack test up`")
    })
}

#[tokio::test]
async fn registering_through_the_gateway_sends_the_welcome_and_verification_emails() {
    let stack = TestStack::load();
    let email = format!("welcome-{}@example.com", uuid::Uuid::new_v4().simple());
    let response = reqwest::Client::new()
        .post(gateway("/v1/auth/register"))
        .json(&serde_json::json!({"email": email, "password": "correct horse battery staple", "name": "Wendy"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    // Registration sends the welcome and the verification email at once;
    // they reach MailDev in either order, so wait for the welcome by subject.
    let mail = dayone_test_support::mail::wait_for_subject(
        &stack,
        &email,
        "Welcome to Dayone",
        Duration::from_secs(20),
    )
    .await;
    assert!(mail.is_some(), "the welcome email never reached MailDev");
    let verify = dayone_test_support::mail::wait_for_subject(
        &stack,
        &email,
        "Confirm your email address",
        Duration::from_secs(20),
    )
    .await
    .expect("the verification email never reached MailDev");
    let text = verify["text"].as_str().unwrap_or_default();
    assert!(text.contains("/verify-email?token="), "{text}");
}

use dayone_test_support::accounts::{PASSWORD, login_at, register_at};

async fn login(email: &str) -> String {
    login_at(&reqwest::Client::new(), &gateway(""), email).await
}

/// Registers `email` named `name` through the gateway and logs in: the
/// access token.
async fn registered(email: &str, name: &str) -> String {
    register_at(
        &reqwest::Client::new(),
        &gateway(""),
        serde_json::json!({"email": email, "password": PASSWORD, "name": name}),
    )
    .await;
    login(email).await
}

/// An admin made with `make admin`'s command on the test stack.
async fn admin_token() -> String {
    let email = format!("admin-{}@example.com", uuid::Uuid::new_v4().simple());
    TestStack::load().script(&["admin", &email, PASSWORD]).await;
    login(&email).await
}

async fn create_product(admin: &str, name: &str) -> Value {
    create_product_in(admin, name, "kitchen").await
}

async fn create_product_in(admin: &str, name: &str, category: &str) -> Value {
    let response = reqwest::Client::new()
        .post(gateway("/v1/products"))
        .bearer_auth(admin)
        .json(&serde_json::json!({"name": name, "description": "Hand thrown", "price_cents": 2450, "stock": 5, "category": category}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_product_created_through_the_gateway_is_found_by_search_within_two_seconds() {
    let admin = admin_token().await;
    let word = format!("zq{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let started = std::time::Instant::now();
    let product = create_product(&admin, &format!("Mug {word}")).await;
    let found = eventually(Duration::from_secs(2), || async {
        let results: Value = reqwest::get(gateway(&format!("/v1/search?q={word}")))
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (results["hits"][0]["uuid"] == product["uuid"]).then_some(())
    })
    .await;
    assert!(
        found.is_some(),
        "not searchable after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_order_placed_through_the_gateway_sends_its_receipt_email() {
    let stack = TestStack::load();
    let admin = admin_token().await;
    let product = create_product(&admin, "Stoneware bowl").await;
    let email = format!("buyer-{}@example.com", uuid::Uuid::new_v4().simple());
    let token = registered(&email, "Bea").await;
    let order: Value = reqwest::Client::new()
        .post(gateway("/v1/orders"))
        .bearer_auth(&token)
        .header("idempotency-key", uuid::Uuid::new_v4().to_string())
        .json(&serde_json::json!({"items": [{"product_uuid": product["uuid"], "quantity": 2}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let number = order["number"].as_str().unwrap().to_owned();
    let subject = format!("Your order {number}");
    let receipt = dayone_test_support::mail::wait_for_subject(
        &stack,
        &email,
        &subject,
        Duration::from_secs(20),
    )
    .await
    .expect("the receipt email reached MailDev");
    let text = receipt["text"].as_str().unwrap();
    assert!(
        text.contains("2 x Stoneware bowl") && text.contains("€49.00"),
        "{text}"
    );
}

#[tokio::test]
async fn every_service_answers_health_and_ready_through_the_gateway() {
    for dayone_model::services::Service {
        path: prefix,
        name: service,
        ..
    } in dayone_model::services::SERVICES
    {
        let response = get(&format!("{prefix}/health")).await;
        assert_eq!(response.status(), 200, "{prefix}/health");
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["service"], *service);
        assert_eq!(
            get(&format!("{prefix}/ready")).await.status(),
            200,
            "{prefix}/ready"
        );
    }
}

#[tokio::test]
async fn each_path_reaches_the_service_that_owns_it() {
    for (path, service) in [
        ("/v1/auth/login", "auth"),
        ("/v1/users", "auth"),
        ("/v1/users/123", "auth"),
        ("/v1/notifications", "notification"),
        ("/v1/notifications/abc", "notification"),
        ("/v1/devices", "notification"),
        ("/v1/scheduler/jobs", "scheduler"),
        ("/v1/products", "core"),
        ("/v1/orders/1", "core"),
        ("/v2/products", "core"),
    ] {
        let response = get(path).await;
        let served_by = response
            .headers()
            .get("x-served-by")
            .unwrap_or_else(|| panic!("{path} was not answered by a service"))
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            served_by.starts_with(&format!("{service}-")),
            "{path} went to {served_by}, not {service}"
        );
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
    }
}

#[tokio::test]
async fn unknown_paths_get_a_json_404_from_the_gateway_itself() {
    for path in ["/", "/admin", "/v3/products", "/v1x", "/.env"] {
        let response = get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(
            response.headers().get("x-served-by").is_none(),
            "{path} reached a service"
        );
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "not_found");
        assert_eq!(body["request_id"], id);
    }
}

#[tokio::test]
async fn bare_version_and_service_prefixes_are_not_redirected() {
    for path in ["/v1", "/v2", "/v1/auth", "/v1/scheduler"] {
        let response = get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(
            response.headers().get("location").is_none(),
            "{path} redirected"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "not_found", "{path}");
    }
}

/// Waits for the access-log line (`request completed`) of a service that
/// contains `needle`. (Health checks are logged at debug level, so the
/// tests use other paths.)
async fn logged(service_log: &str, needle: &str) -> Option<Value> {
    TestStack::load()
        .wait_for_log_line(service_log, &[needle], Duration::from_secs(5), |l| {
            l["message"] == "request completed"
        })
        .await
}

#[tokio::test]
async fn a_clients_request_id_passes_through_to_the_services_json_log() {
    let id = format!("e2e-{}", uuid::Uuid::new_v4().simple());
    let response = reqwest::Client::new()
        .get(gateway("/v1/auth/no-such-thing"))
        .header("x-request-id", &id)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], id.as_str());
    assert_eq!(
        response.headers().get_all("x-request-id").iter().count(),
        1,
        "exactly one id in the response"
    );

    let line = logged("auth-1", &id)
        .await
        .expect("auth logged the request");
    assert_eq!(line["request_id"], id.as_str());
    assert_eq!(line["path"], "/v1/auth/no-such-thing");
    assert_eq!(line["status"], 404);
}

#[tokio::test]
async fn the_access_line_of_an_authenticated_request_names_the_user_and_the_route() {
    let email = format!("seen-{}@example.com", uuid::Uuid::new_v4().simple());
    let token = registered(&email, "Sam").await;
    let id = format!("e2e-{}", uuid::Uuid::new_v4().simple());
    let me: Value = reqwest::Client::new()
        .get(gateway("/v1/auth/me"))
        .bearer_auth(&token)
        .header("x-request-id", &id)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let line = logged("auth-1", &id)
        .await
        .expect("auth logged the request");
    assert!(me["uuid"].is_string(), "{me}");
    assert_eq!(line["user_id"], me["uuid"], "{line}");
    assert_eq!(line["route"], "/v1/auth/me", "{line}");
    assert_eq!(line["status"], 200, "{line}");
}

#[tokio::test]
async fn the_gateway_makes_a_request_id_when_the_client_sends_none_or_a_bad_one() {
    for header in [None, Some("bad id with spaces")] {
        let mut request = reqwest::Client::new().get(gateway("/v1/core/no-such-thing"));
        if let Some(value) = header {
            request = request.header("x-request-id", value);
        }
        let response = request.send().await.unwrap();
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(id.len(), 32, "nginx's $request_id: {id}");
        assert!(logged("core-1", &id).await.is_some(), "core logged {id}");
    }
}

#[tokio::test]
async fn a_clients_traceparent_reaches_the_service() {
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    reqwest::Client::new()
        .get(gateway("/v1/scheduler/no-such-thing"))
        .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
        .send()
        .await
        .unwrap();
    let line = logged("scheduler-1", &trace_id).await.expect("logged");
    assert_eq!(line["trace_id"], trace_id.as_str());
}

#[tokio::test]
async fn a_flood_from_one_address_is_limited_with_a_json_429() {
    // From 127.0.0.2, so the other tests (from 127.0.0.1) keep their budget.
    let client = reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))
        .build()
        .unwrap();
    let requests = (0..400).map(|_| client.get(gateway("/v1/core/health")).send());
    let responses = futures_util::future::join_all(requests).await;
    let limited: Vec<_> = responses
        .into_iter()
        .map(Result::unwrap)
        .filter(|r| r.status() == 429)
        .collect();
    assert!(!limited.is_empty(), "400 requests at once exceed burst 100");
    let first = limited.into_iter().next().unwrap();
    assert_eq!(first.headers()["retry-after"], "1");
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    // Other addresses are unaffected.
    assert_eq!(get("/v1/core/health").await.status(), 200);
}

/// An answer read off the wire: nginx's own errors come before any routing,
/// so the requests that provoke them are sent as raw bytes, not through an
/// HTTP client that would refuse to send them.
struct RawResponse {
    status: u16,
    /// Header names lowercased, in the order sent.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// Sends `request` as it is over a new connection to the gateway and reads
/// one answer through its Content-Length (nginx's `return` always sends one),
/// without waiting for nginx to close the connection.
fn send_raw(request: &[u8]) -> RawResponse {
    use std::io::{Read, Write};

    let port = TestStack::load().port("GATEWAY_PORT");
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| {
        panic!("the test stack's gateway is not running ({e}); run `scripts/stack test up`")
    });
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut received = Vec::new();
    let mut chunk = [0_u8; 16 * 1024];
    loop {
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&received[..end]).into_owned();
            let mut lines = head.split("\r\n");
            let status_line = lines.next().unwrap();
            let status = status_line
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("not an HTTP status line: {status_line:?}"));
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .collect();
            let length = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .map(|(_, v)| v.parse::<usize>().unwrap());
            let body_start = end + 4;
            if let Some(length) = length
                && received.len() >= body_start + length
            {
                let body = received[body_start..body_start + length].to_vec();
                return RawResponse {
                    status,
                    headers,
                    body,
                };
            }
        }
        let n = stream.read(&mut chunk).unwrap_or_else(|e| {
            panic!(
                "no complete answer ({e}); got {:?}",
                String::from_utf8_lossy(&received)
            )
        });
        assert!(
            n > 0,
            "nginx closed the connection after {:?}",
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&chunk[..n]);
    }
}

/// Asserts that nginx answered `request` itself, with `status` and the
/// services' error shape carrying `code`, and returns the answer.
#[track_caller]
fn assert_gateway_error(case: &str, request: &[u8], status: u16, code: &str) -> RawResponse {
    let response = send_raw(request);
    assert_eq!(response.status, status, "{case}");
    assert_eq!(
        response.header("content-type"),
        Some("application/json"),
        "{case}: {}",
        String::from_utf8_lossy(&response.body)
    );
    assert!(
        response.header("x-served-by").is_none(),
        "{case} reached a service"
    );
    assert_eq!(
        response.header("x-content-type-options"),
        Some("nosniff"),
        "{case}"
    );
    assert_eq!(response.header("cache-control"), Some("no-store"), "{case}");
    let body = response.json();
    assert_eq!(body["code"], code, "{case}: {body}");
    assert!(body["message"].is_string(), "{case}: {body}");
    let id = response.header("x-request-id").unwrap_or_default();
    assert!(!id.is_empty(), "{case}: no X-Request-Id");
    assert_eq!(body["request_id"], id, "{case}");
    response
}

#[test]
fn requests_nginx_refuses_itself_get_the_services_json_error_not_html() {
    let long_header = format!("X-Padding: {}", "a".repeat(20 * 1024));
    let long_uri = format!("/v1/core/{}", "a".repeat(10 * 1024));
    let cases: Vec<(&str, String, u16, &str)> = vec![
        (
            "NUL byte in the path",
            "GET /v1/core/%00 HTTP/1.1\r\nHost: gateway\r\n\r\n".into(),
            400,
            "bad_request",
        ),
        (
            "unparsable request line",
            "GET /a b HTTP/1.1\r\nHost: gateway\r\n\r\n".into(),
            400,
            "bad_request",
        ),
        (
            "negative Content-Length",
            "POST /v1/orders HTTP/1.1\r\nHost: gateway\r\nContent-Length: -1\r\n\r\n".into(),
            400,
            "bad_request",
        ),
        (
            "two Content-Lengths",
            "POST /v1/orders HTTP/1.1\r\nHost: gateway\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".into(),
            400,
            "bad_request",
        ),
        (
            "invalid chunked body",
            "POST /v1/orders HTTP/1.1\r\nHost: gateway\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".into(),
            400,
            "bad_request",
        ),
        (
            "20 kB header",
            format!("GET /v1/core/health HTTP/1.1\r\nHost: gateway\r\n{long_header}\r\n\r\n"),
            400,
            "header_too_large",
        ),
        (
            "10 kB URI",
            format!("GET {long_uri} HTTP/1.1\r\nHost: gateway\r\n\r\n"),
            414,
            "uri_too_long",
        ),
        (
            "body over client_max_body_size",
            "POST /v1/orders HTTP/1.1\r\nHost: gateway\r\nContent-Length: 2097152\r\n\r\n".into(),
            413,
            "payload_too_large",
        ),
        (
            "Transfer-Encoding other than chunked",
            "POST /v1/orders HTTP/1.1\r\nHost: gateway\r\nTransfer-Encoding: chunked, identity\r\n\r\n".into(),
            501,
            "not_implemented",
        ),
        (
            "HTTP/2.0 request line over HTTP/1",
            "GET /v1/core/health HTTP/2.0\r\nHost: gateway\r\n\r\n".into(),
            505,
            "http_version_not_supported",
        ),
        (
            "TRACE",
            "TRACE / HTTP/1.1\r\nHost: gateway\r\n\r\n".into(),
            405,
            "method_not_allowed",
        ),
        (
            "an internal error location asked for directly",
            "GET /gateway/errors/bad-request HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n".into(),
            404,
            "not_found",
        ),
    ];
    for (case, request, status, code) in cases {
        assert_gateway_error(case, request.as_bytes(), status, code);
    }
}

#[test]
fn nginx_errors_keep_the_clients_request_id_and_hide_the_nginx_version() {
    let id = format!("e2e-{}", uuid::Uuid::new_v4().simple());
    let request = format!(
        "POST /v1/orders HTTP/1.1\r\nHost: gateway\r\nX-Request-Id: {id}\r\nContent-Length: -1\r\n\r\n"
    );
    let response = assert_gateway_error(
        "negative Content-Length",
        request.as_bytes(),
        400,
        "bad_request",
    );
    assert_eq!(response.header("x-request-id"), Some(id.as_str()));
    assert_eq!(
        response.header("server"),
        Some("nginx"),
        "server_tokens off"
    );
}

#[test]
fn trace_is_a_json_405_with_allow_where_the_gateway_knows_the_methods() {
    let health = assert_gateway_error(
        "TRACE /gateway/health",
        b"TRACE /gateway/health HTTP/1.1\r\nHost: gateway\r\n\r\n",
        405,
        "method_not_allowed",
    );
    assert_eq!(health.header("allow"), Some("GET, HEAD"));
    assert_eq!(health.json()["message"], "TRACE is not allowed");
    // A documented service path: its methods, from the OpenAPI documents
    // (nginx/dayone-allow.conf), the same as the service's own 405 says.
    let product = assert_gateway_error(
        "TRACE /v1/products/{uuid}",
        b"TRACE /v1/products/0b6f6c6e-4a8e-4a39-9c55-0d5a6f1f6b11 HTTP/1.1\r\nHost: gateway\r\n\r\n",
        405,
        "method_not_allowed",
    );
    assert_eq!(product.header("allow"), Some("GET, PATCH, DELETE"));
    let sessions = assert_gateway_error(
        "TRACE /v1/auth/sessions",
        b"TRACE /v1/auth/sessions HTTP/1.1\r\nHost: gateway\r\n\r\n",
        405,
        "method_not_allowed",
    );
    assert_eq!(sessions.header("allow"), Some("GET"));
    // A path no document has: nginx does not guess.
    let proxied = assert_gateway_error(
        "TRACE /v1/core/health",
        b"TRACE /v1/core/health HTTP/1.1\r\nHost: gateway\r\n\r\n",
        405,
        "method_not_allowed",
    );
    assert_eq!(proxied.header("allow"), None);
}

#[test]
fn every_listener_of_the_stack_is_bound_to_loopback_only() {
    let stack = TestStack::load();
    let mut ports: Vec<u16> = [
        "GATEWAY_PORT",
        "PG_PORT",
        "AMQP_PORT",
        "RMQ_MGMT_PORT",
        "RMQ_PROM_PORT",
        "REDIS_PORT",
        "SMTP_PORT",
        "MAIL_WEB_PORT",
        "EPMD_PORT",
        "RMQ_DIST_PORT",
    ]
    .iter()
    .map(|k| stack.port(k))
    .collect();
    for service in dayone_model::services::SERVICES {
        ports.push(stack.service_port(service.name, 1));
        ports.push(stack.metrics_port(service.name, 1));
    }
    ports.sort_unstable();

    let mut listening = std::collections::HashMap::new();
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let table = std::fs::read_to_string(file).unwrap_or_default();
        for line in table.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.get(3) != Some(&"0A") {
                continue; // not LISTEN
            }
            let (address, port) = fields[1].split_once(':').unwrap();
            let port = u16::from_str_radix(port, 16).unwrap();
            listening
                .entry(port)
                .or_insert_with(Vec::new)
                .push(address.to_owned());
        }
    }
    for port in ports {
        let addresses = listening
            .get(&port)
            .unwrap_or_else(|| panic!("nothing listens on {port}: is the test stack up?"));
        for address in addresses {
            // 127.0.0.1, or ::1 (epmd adds the IPv6 loopback on its own).
            let loopback = address == "0100007F" || address == "00000000000000000000000001000000";
            assert!(loopback, "port {port} listens on {address}, not loopback");
        }
    }
}

/// Registers `email` through the gateway, orders `product` and returns the
/// access token.
async fn buyer(email: &str, product: &Value) -> String {
    let token = registered(email, "Ravi").await;
    let ordered = reqwest::Client::new()
        .post(gateway("/v1/orders"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"items": [{"product_uuid": product["uuid"], "quantity": 1}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(ordered.status(), 201);
    token
}

#[tokio::test]
async fn the_weekly_recommendations_job_emails_buyers_who_did_not_opt_out() {
    let stack = TestStack::load();
    let admin = admin_token().await;
    let word = format!("zr{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    // A category of its own: other tests' best sellers (and earlier runs'
    // on a reused stack) must not crowd the teapot out of the top five.
    let category = format!("tea-{word}");
    let bowl = create_product_in(&admin, &format!("Bowl {word}"), &category).await;
    create_product_in(&admin, &format!("Teapot {word}"), &category).await;
    let keen = format!("keen-{}@example.com", uuid::Uuid::new_v4().simple());
    let opted_out = format!("no-ads-{}@example.com", uuid::Uuid::new_v4().simple());
    buyer(&keen, &bowl).await;
    let token = buyer(&opted_out, &bowl).await;
    let client = reqwest::Client::new();
    let saved = client
        .put(gateway("/v1/notifications/preferences"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "email": {"promotional": false},
            "sms": {"promotional": true},
            "push": {"promotional": true},
            "quiet_hours": null
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200);

    let triggered = client
        .post(gateway("/v1/scheduler/jobs/weekly-recommendations/run"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(triggered.status(), 202);
    let run: Value = triggered.json().await.unwrap();

    let picked = dayone_test_support::mail::wait_for_subject(
        &stack,
        &keen,
        "Picked for you this week",
        Duration::from_secs(30),
    )
    .await
    .expect("the recommendation email reached MailDev");
    let text = picked["text"].as_str().unwrap();
    assert!(text.contains(&format!("Teapot {word}")), "{text}");
    assert!(
        !text.contains(&format!("Bowl {word}")),
        "already bought: {text}"
    );
    let unsubscribe = picked["headers"]["list-unsubscribe"].as_str().unwrap_or("");
    assert!(unsubscribe.contains("unsubscribe"), "{picked}");

    // The run is in the history as succeeded, done by core.
    let history = eventually(Duration::from_secs(10), || async {
        let page: Value = client
            .get(gateway("/v1/scheduler/jobs/weekly-recommendations/runs"))
            .bearer_auth(&admin)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        page["items"]
            .as_array()?
            .iter()
            .find(|r| r["uuid"] == run["run_uuid"] && r["status"] == "succeeded")
            .cloned()
    })
    .await
    .expect("the run succeeded");
    assert!(history["worker"].as_str().unwrap().starts_with("core-"));

    // The opted-out buyer's email was suppressed, not sent.
    let to_opted_out = dayone_test_support::mail::wait_for_subject(
        &stack,
        &opted_out,
        "Picked for you this week",
        Duration::from_secs(2),
    )
    .await;
    assert!(to_opted_out.is_none(), "{to_opted_out:?}");
}
