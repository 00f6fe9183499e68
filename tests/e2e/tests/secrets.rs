//! Drives the auth flows through the gateway of the running test stack
//! (whose services log at debug level), taking codes and links from where a
//! user would (the SMS at the fake gateway, the emails in MailDev), then
//! reads every log file the stack wrote and checks that none of the
//! passwords, tokens, codes or links used appears anywhere, while the
//! request and response bodies were logged (redacted). An order placed with
//! the same account is covered too.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::time::Duration;

use dayone_test_support::TestStack;
use serde_json::{Value, json};

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn post(&self, path: &str, body: Value, token: Option<&str>) -> reqwest::Response {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    async fn tokens(&self, path: &str, body: Value) -> (String, String) {
        let response = self.post(path, body, None).await;
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        (
            body["access_token"].as_str().unwrap().to_owned(),
            body["refresh_token"].as_str().unwrap().to_owned(),
        )
    }
}

/// The token in the link of the email to `to` whose subject is `subject`,
/// as the notification service delivered it to MailDev.
async fn emailed_token(stack: &TestStack, to: &str, subject: &str) -> String {
    let mail =
        dayone_test_support::mail::wait_for_subject(stack, to, subject, Duration::from_secs(20))
            .await
            .unwrap_or_else(|| panic!("no `{subject}` email to {to}"));
    let text = mail["text"].as_str().unwrap();
    let start = text.find("token=").unwrap() + "token=".len();
    text[start..].split_whitespace().next().unwrap().to_owned()
}

/// The login code in the SMS the fake gateway received for `phone`.
async fn texted_code(stack: &TestStack, phone: &str) -> String {
    let url = format!("http://127.0.0.1:{}/_fake/sms", stack.port("FAKES_PORT"));
    let body = dayone_test_support::eventually(Duration::from_secs(20), || async {
        let sms: Vec<Value> = reqwest::get(&url).await.ok()?.json().await.ok()?;
        sms.into_iter()
            .filter(|m| m["body"]["To"] == phone)
            .find_map(|m| m["body"]["Body"].as_str().map(str::to_owned))
    })
    .await
    .unwrap_or_else(|| panic!("no SMS to {phone}"));
    let start = body.find("code is ").unwrap() + "code is ".len();
    body[start..start + 6].to_owned()
}

#[tokio::test]
async fn no_password_token_code_or_link_used_in_the_auth_flows_reaches_any_log() {
    let stack = TestStack::load();
    let client = Client {
        http: reqwest::Client::new(),
        base: stack.gateway_url(),
    };
    let mut secrets: Vec<String> = Vec::new();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let email = format!("secrets-{tag}@example.com");
    let phone = format!(
        "+1555{:07}",
        u32::from_str_radix(&tag[..6], 16).unwrap() % 10_000_000
    );
    let password = format!("first secret passphrase {tag}");
    let new_password = format!("second secret passphrase {tag}");
    secrets.extend([password.clone(), new_password.clone()]);

    // Register (and a failed login with a wrong password that must not leak either).
    let registered = client
        .post(
            "/v1/auth/register",
            json!({"email": email, "password": password, "phone": phone}),
            None,
        )
        .await;
    assert_eq!(registered.status(), 201);
    let wrong = format!("wrong secret passphrase {tag}");
    secrets.push(wrong.clone());
    client
        .post(
            "/v1/auth/login",
            json!({"email": email, "password": wrong}),
            None,
        )
        .await;

    // Login, refresh, an authenticated call, logout.
    let (access, refresh) = client
        .tokens(
            "/v1/auth/login",
            json!({"email": email, "password": password}),
        )
        .await;
    let (access2, refresh2) = client
        .tokens("/v1/auth/refresh", json!({"refresh_token": refresh}))
        .await;
    secrets.extend([
        access.clone(),
        refresh.clone(),
        access2.clone(),
        refresh2.clone(),
    ]);
    let me = client
        .http
        .get(format!("{}/v1/auth/me", client.base))
        .bearer_auth(&access2)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    client
        .post("/v1/auth/logout", json!({}), Some(&access2))
        .await;

    // Email verification link.
    let verify_token = emailed_token(&stack, &email, "Confirm your email address").await;
    secrets.push(verify_token.clone());
    assert_eq!(
        client
            .post(
                "/v1/auth/email/verify",
                json!({"token": verify_token}),
                None
            )
            .await
            .status(),
        204
    );

    // OTP login.
    assert_eq!(
        client
            .post("/v1/auth/otp/request", json!({"phone": phone}), None)
            .await
            .status(),
        202
    );
    let code = texted_code(&stack, &phone).await;
    let (otp_access, otp_refresh) = client
        .tokens("/v1/auth/otp/verify", json!({"phone": phone, "code": code}))
        .await;
    secrets.extend([otp_access, otp_refresh]);

    // Password reset.
    assert_eq!(
        client
            .post("/v1/auth/password/forgot", json!({"email": email}), None)
            .await
            .status(),
        202
    );
    let reset_token = emailed_token(&stack, &email, "Reset your password").await;
    secrets.push(reset_token.clone());
    let reset = client
        .post(
            "/v1/auth/password/reset",
            json!({"token": reset_token, "new_password": new_password}),
            None,
        )
        .await;
    assert_eq!(reset.status(), 204);
    let (buyer_access, buyer_refresh) = client
        .tokens(
            "/v1/auth/login",
            json!({"email": email, "password": new_password}),
        )
        .await;
    secrets.extend([buyer_access.clone(), buyer_refresh]);

    // An order: an admin (made with `make admin`'s command) adds a product,
    // the buyer orders it; neither's password or tokens may leak.
    let admin_email = format!("secrets-admin-{tag}@example.com");
    let admin_password = format!("admin secret passphrase {tag}");
    secrets.push(admin_password.clone());
    stack
        .script(&["admin", &admin_email, &admin_password])
        .await;
    let (admin_access, admin_refresh) = client
        .tokens(
            "/v1/auth/login",
            json!({"email": admin_email, "password": admin_password}),
        )
        .await;
    secrets.extend([admin_access.clone(), admin_refresh]);
    let product = client
        .post(
            "/v1/products",
            json!({"name": format!("Secret-free jug {tag}"), "description": "Glazed", "price_cents": 1200, "stock": 3, "category": format!("secrets-{tag}")}),
            Some(&admin_access),
        )
        .await;
    assert_eq!(product.status(), 201);
    let product: Value = product.json().await.unwrap();
    // As a real app asks: compressed. The service still logs the JSON.
    let order = client
        .http
        .post(format!("{}/v1/orders", client.base))
        .bearer_auth(&buyer_access)
        .header("idempotency-key", uuid::Uuid::new_v4().to_string())
        .header("accept-encoding", "gzip")
        .json(&json!({"items": [{"product_uuid": product["uuid"], "quantity": 1}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(order.status(), 201);
    assert_eq!(order.headers()["content-encoding"], "gzip");
    let mut order_json = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(&order.bytes().await.unwrap()[..]),
        &mut order_json,
    )
    .unwrap();
    let order: Value = serde_json::from_str(&order_json).unwrap();
    let order_uuid = order["uuid"].as_str().unwrap().to_owned();

    // Let the services flush their last lines, then read every log.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let logs = stack.log_dir();
    let mut files = 0;
    let mut lines = 0;
    for entry in walk(&logs) {
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        files += 1;
        lines += text.lines().count();
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{} contains a secret used in the flows",
                entry.display()
            );
        }
        // The code is six digits: look for it as a JSON value, not anywhere.
        for quoted in [
            format!("\"{code}\""),
            format!("code={code}"),
            format!(": {code}"),
        ] {
            assert!(
                !text.contains(&quoted),
                "{} contains the OTP code",
                entry.display()
            );
        }
    }
    assert!(
        files >= 5 && lines > 50,
        "read {files} files, {lines} lines"
    );
    let auth_log = std::fs::read_to_string(stack.log_path("auth-1")).unwrap();
    assert!(
        auth_log.contains("/v1/auth/otp/verify"),
        "the flows were logged, just not their secrets"
    );
    // The bodies themselves were logged (at debug), with the secrets
    // redacted: the check above is not passing for want of bodies.
    // (Several tests share the stack's logs: match on this run's values.)
    let body_line = |log: &str, message: &str, needles: &[&str]| -> Value {
        log.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|l| {
                l["message"] == message
                    && l["body"]
                        .as_str()
                        .is_some_and(|b| needles.iter().all(|n| b.contains(n)))
            })
            .unwrap_or_else(|| panic!("no `{message}` line with {needles:?}"))
    };
    body_line(
        &auth_log,
        "request body",
        &[&email, r#""password":"[REDACTED]""#],
    );
    body_line(
        &auth_log,
        "request body",
        &[&phone, r#""code":"[REDACTED]""#],
    );
    body_line(
        &auth_log,
        "response body",
        &[
            r#""access_token":"[REDACTED]""#,
            r#""refresh_token":"[REDACTED]""#,
        ],
    );
    let core_log = std::fs::read_to_string(stack.log_path("core-1")).unwrap();
    body_line(&core_log, "response body", &[&order_uuid]);
    assert!(
        core_log.contains("sending receipt email for order"),
        "the business step is logged"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
