//! A real browser against the running test stack: Debian's headless
//! Chromium, driven through chromedriver (`scripts/stack test install`
//! installs both). What only a browser enforces is tested here: CORS at the
//! gateway (a page on an allowed origin reads the API, one on another origin
//! cannot), and the pages behind the emailed links (their script, policy and
//! form) completing verification and a password reset.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

#[path = "browser/harness.rs"]
mod harness;

use std::time::Duration;

use dayone_test_support::TestStack;
use dayone_test_support::accounts::{PASSWORD, login_at, register_at};
use fantoccini::Locator;
use harness::{Browser, PageServer, allowed_origins, allowed_port};
use serde_json::{Value, json};

fn gateway(path: &str) -> String {
    format!("{}{path}", TestStack::load().gateway_url())
}

/// A user registered and logged in through the gateway: email and token.
async fn user(name: &str) -> (String, String) {
    let email = format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple());
    let client = reqwest::Client::new();
    register_at(
        &client,
        &gateway(""),
        json!({"email": email, "password": PASSWORD, "name": name}),
    )
    .await;
    let token = login_at(&client, &gateway(""), &email).await;
    (email, token)
}

async fn me(token: &str) -> Value {
    let response = reqwest::Client::new()
        .get(gateway("/v1/auth/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The request that makes a browser preflight: a bearer token is not a
/// CORS-safelisted header.
async fn fetch_me(browser: &Browser, token: &str) -> Value {
    browser
        .fetch(
            &gateway("/v1/auth/me"),
            json!({"Authorization": format!("Bearer {token}")}),
        )
        .await
}

#[tokio::test]
async fn a_page_on_an_allowed_origin_reads_the_apis_json_and_request_id_after_a_preflight() {
    let stack = TestStack::load();
    let (email, token) = user("cors").await;
    let page = PageServer::start(allowed_port(&stack)).await;
    assert!(allowed_origins(&stack).contains(&page.origin));
    let browser = Browser::start().await;
    browser.goto(&format!("{}/", page.origin)).await;

    let request_id = format!("browser-{}", uuid::Uuid::new_v4().simple());
    let answer = browser
        .fetch(
            &gateway("/v1/auth/me"),
            json!({"Authorization": format!("Bearer {token}"), "X-Request-Id": request_id}),
        )
        .await;
    assert_eq!(answer["fetched"], true, "{answer}");
    assert_eq!(answer["status"], 200, "{answer}");
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["email"], email.as_str());
    // Readable only because the gateway exposes it; sent only because the
    // preflight allowed the header.
    assert_eq!(answer["request_id"], request_id.as_str(), "{answer}");

    // The preflight was the gateway's: its access log has Chromium's OPTIONS
    // answered 204.
    let preflight = stack
        .wait_for_log_line(
            "gateway-access",
            &["\"OPTIONS\"", "/v1/auth/me", "HeadlessChrome"],
            Duration::from_secs(10),
            |line| line["status"] == 204 && line["upstream"] == "",
        )
        .await;
    assert!(preflight.is_some(), "no preflight answered by the gateway");

    // nginx's own errors are readable too, with their request id.
    let missing = browser
        .fetch(&gateway("/gateway/no-such-thing"), json!({}))
        .await;
    assert_eq!(missing["fetched"], true, "{missing}");
    assert_eq!(missing["status"], 404, "{missing}");
    let body: Value = serde_json::from_str(missing["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["request_id"], missing["request_id"]);
    browser.close().await;
}

#[tokio::test]
async fn a_page_on_another_origin_cannot_read_the_api_though_the_same_fetch_works_from_an_allowed_one()
 {
    let stack = TestStack::load();
    let (_, token) = user("refused").await;
    let refused = PageServer::start(0).await;
    assert!(!allowed_origins(&stack).contains(&refused.origin));
    let browser = Browser::start().await;

    browser.goto(&format!("{}/", refused.origin)).await;
    // Preflighted (a bearer token): the gateway refuses the preflight.
    let answer = fetch_me(&browser, &token).await;
    assert_eq!(answer["fetched"], false, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("Failed to fetch"),
        "{answer}"
    );
    // Simple (no preflight): the answer comes, without the header that
    // would let this page read it.
    let simple = browser.fetch(&gateway("/v1/auth/health"), json!({})).await;
    assert_eq!(simple["fetched"], false, "{simple}");

    // The same browser, the same requests, from an allowed origin: the
    // origin alone made the difference.
    let allowed = PageServer::start(allowed_port(&stack)).await;
    browser.goto(&format!("{}/", allowed.origin)).await;
    let answer = fetch_me(&browser, &token).await;
    assert_eq!(answer["fetched"], true, "{answer}");
    assert_eq!(answer["status"], 200, "{answer}");
    let simple = browser.fetch(&gateway("/v1/auth/health"), json!({})).await;
    assert_eq!(simple["fetched"], true, "{simple}");
    browser.close().await;
}

/// The link in the email to `to` with `subject`, as MailDev received it.
async fn emailed_link(to: &str, subject: &str, page: &str) -> String {
    let stack = TestStack::load();
    let mail =
        dayone_test_support::mail::wait_for_subject(&stack, to, subject, Duration::from_secs(20))
            .await
            .unwrap_or_else(|| panic!("no `{subject}` email to {to}"));
    let link = mail["text"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .find(|word| word.contains(&format!("/{page}?token=")))
        .unwrap_or_else(|| panic!("no /{page} link in {mail}"))
        .to_owned();
    // auth.link_base_url is unset on the test stack: the gateway's pages.
    assert!(
        link.starts_with(&gateway(&format!("/{page}?token="))),
        "{link}"
    );
    link
}

/// The message the API gives for `body` POSTed to `path`, which must fail.
async fn api_error(path: &str, body: Value) -> String {
    let response = reqwest::Client::new()
        .post(gateway(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_client_error(),
        "{path} accepted {body}"
    );
    let error: Value = response.json().await.unwrap();
    error["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_emailed_verification_link_opens_a_page_that_verifies_the_address() {
    let (email, token) = user("verify").await;
    assert_eq!(me(&token).await["email_verified"], false);
    let link = emailed_link(&email, "Confirm your email address", "verify-email").await;
    let browser = Browser::start().await;

    browser.goto(&link).await;
    let (state, text) = browser.outcome().await;
    assert_eq!(state, "done", "{text}");
    assert!(text.contains("verified"), "{text}");
    assert_eq!(me(&token).await["email_verified"], true);
    // The token left the address bar (and so the history).
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(url.as_str(), gateway("/verify-email"));

    // A used link: the page shows the API's own message.
    browser.goto(&link).await;
    let (state, text) = browser.outcome().await;
    assert_eq!(state, "error");
    let used = api_error("/v1/auth/email/verify", json!({"token": "used-or-not"})).await;
    assert_eq!(text, used);
    browser.close().await;
}

async fn login_status(email: &str, password: &str) -> u16 {
    reqwest::Client::new()
        .post(gateway("/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_emailed_reset_link_opens_a_form_that_sets_the_new_password() {
    let (email, _) = user("reset").await;
    let asked = reqwest::Client::new()
        .post(gateway("/v1/auth/password/forgot"))
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 202);
    let link = emailed_link(&email, "Reset your password", "reset-password").await;
    let browser = Browser::start().await;
    browser.goto(&link).await;

    let password = browser.client.find(Locator::Id("password")).await.unwrap();
    let confirm = browser.client.find(Locator::Id("confirm")).await.unwrap();
    let submit = browser.client.find(Locator::Id("submit")).await.unwrap();
    assert!(password.is_displayed().await.unwrap(), "no form shown");

    // A password the API refuses: its message, and the link still works.
    password.send_keys("short").await.unwrap();
    confirm.send_keys("short").await.unwrap();
    submit.click().await.unwrap();
    let (state, text) = browser.outcome().await;
    assert_eq!(state, "error");
    let refused = api_error(
        "/v1/auth/password/reset",
        json!({"token": "any", "new_password": "short"}),
    )
    .await;
    assert_eq!(text, refused);

    let new_password = "a brand new passphrase, typed in a browser";
    password.clear().await.unwrap();
    confirm.clear().await.unwrap();
    password.send_keys(new_password).await.unwrap();
    confirm.send_keys(new_password).await.unwrap();
    submit.click().await.unwrap();
    let (state, text) = browser.outcome().await;
    assert_eq!(state, "done", "{text}");
    assert!(text.contains("changed"), "{text}");

    assert_eq!(login_status(&email, new_password).await, 200);
    assert_eq!(login_status(&email, PASSWORD).await, 401);
    browser.close().await;
}

/// Registers a passkey from the open page: the API's options through
/// `parseCreationOptionsFromJSON`, `navigator.credentials.create()`, and the
/// credential's `toJSON()` back.
const REGISTER_PASSKEY: &str = r#"
    const [token, done] = arguments;
    (async () => {
        const headers = { "Content-Type": "application/json", "Authorization": "Bearer " + token };
        const start = await (await fetch("/v1/auth/passkeys/register/start", { method: "POST", headers })).json();
        const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(start.options.publicKey);
        const credential = await navigator.credentials.create({ publicKey });
        const finish = await fetch("/v1/auth/passkeys/register/finish", {
            method: "POST",
            headers,
            body: JSON.stringify({ challenge_id: start.challenge_id, name: "Chromium", credential: credential.toJSON() }),
        });
        done({ status: finish.status, body: await finish.json() });
    })().catch((e) => done({ error: String(e) }));
"#;

/// Signs in with a passkey from the open page, no email asked.
const SIGN_IN_WITH_PASSKEY: &str = r#"
    const [done] = arguments;
    (async () => {
        const headers = { "Content-Type": "application/json" };
        const start = await (await fetch("/v1/auth/passkeys/login/start", { method: "POST", headers, body: "{}" })).json();
        const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(start.options.publicKey);
        const credential = await navigator.credentials.get({ publicKey });
        const finish = await fetch("/v1/auth/passkeys/login/finish", {
            method: "POST",
            headers,
            body: JSON.stringify({ challenge_id: start.challenge_id, credential: credential.toJSON() }),
        });
        done({ status: finish.status, body: await finish.json() });
    })().catch((e) => done({ error: String(e) }));
"#;

#[tokio::test]
async fn a_passkey_made_in_chromium_signs_its_account_in() {
    let (email, token) = user("passkey").await;
    let browser = Browser::start().await;
    browser.add_virtual_authenticator().await;
    // Passkeys need a secure context and a domain: the gateway as
    // localhost, which auth offers passkeys on (its public URL is an
    // address).
    let origin = gateway("").replace("127.0.0.1", "localhost");
    browser
        .goto(&format!("{origin}/v1/auth/oauth/providers"))
        .await;
    let registered = browser
        .client
        .execute_async(REGISTER_PASSKEY, vec![json!(token)])
        .await
        .unwrap();
    assert_eq!(registered["status"], 201, "{registered}");
    assert_eq!(registered["body"]["name"], "Chromium");

    let signed_in = browser
        .client
        .execute_async(SIGN_IN_WITH_PASSKEY, vec![])
        .await
        .unwrap();
    assert_eq!(signed_in["status"], 200, "{signed_in}");
    let access = signed_in["body"]["access_token"].as_str().unwrap();
    assert_eq!(me(access).await["email"], email);
    browser.close().await;
}
