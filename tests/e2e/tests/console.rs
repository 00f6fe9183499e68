//! The ops console and the API reference in a real browser (Debian's
//! headless Chromium) against the running test stack, through the gateway:
//! an admin signs in, replays a dead letter of the cron service's results queue
//! and sees the run it reported recorded, and the audit log shows it; a
//! plain user is refused; a form without the session's CSRF token is
//! refused; /docs/ renders every service's operations.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

#[path = "browser/harness.rs"]
#[allow(dead_code)] // shared with browser.rs, which uses the rest
mod harness;

use std::time::Duration;

use dayone_model::Contract;
use dayone_model::messages::tasks::TaskResult;
use dayone_model::services::{SERVICES, Service};
use dayone_test_support::accounts::{PASSWORD, login_at, register_at};
use dayone_test_support::console::{cookie_pair, hidden_csrf, set_cookie};
use dayone_test_support::{TestStack, eventually};
use fantoccini::Locator;
use harness::Browser;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

/// The queue task results arrive in (services.toml: the one bound to them).
fn results_queue() -> &'static str {
    SERVICES
        .iter()
        .flat_map(|s| s.queues)
        .find(|q| q.bindings.contains(&TaskResult::TYPE))
        .expect("a queue for task results")
        .name
}

/// The cron service: the one that owns the results queue and keeps the run
/// history.
fn cron() -> &'static Service {
    SERVICES
        .iter()
        .find(|s| s.queues.iter().any(|q| q.name == results_queue()))
        .expect("the cron service")
}

fn gateway(path: &str) -> String {
    format!("{}{path}", TestStack::load().gateway_url())
}

/// An admin made with `make admin`'s command: email and access token.
async fn admin() -> (String, String) {
    let email = format!("ops-admin-{}@example.com", Uuid::new_v4().simple());
    TestStack::load().script(&["admin", &email, PASSWORD]).await;
    let token = login_at(&reqwest::Client::new(), &gateway(""), &email).await;
    (email, token)
}

/// Signs in through the console's form and waits for the page it lands on
/// (the next `goto` must not race the form's own navigation: the console
/// would send it back to the sign-in form).
async fn sign_in(browser: &Browser, email: &str) {
    submit_sign_in(browser, email).await;
    wait_for_text(browser, "nav .who", email).await;
}

/// Fills and submits the console's sign-in form.
async fn submit_sign_in(browser: &Browser, email: &str) {
    browser.goto(&gateway("/console/")).await;
    // No session: the console sends the browser to its sign-in form.
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(url.as_str(), gateway("/console/sign-in"));
    let form = &browser.client;
    form.find(Locator::Css("input[name=email]"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    form.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    form.find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn wait_for(browser: &Browser, css: &str) -> fantoccini::elements::Element {
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("`{css}` never appeared: {e}"))
}

/// The text of `css` once it starts with `prefix` (the page after a form
/// replaces the one before, whose element may match first and then go
/// stale).
async fn wait_for_text(browser: &Browser, css: &str, prefix: &str) -> String {
    eventually(Duration::from_secs(20), || async {
        let element = browser.client.find(Locator::Css(css)).await.ok()?;
        let text = element.text().await.ok()?;
        text.starts_with(prefix).then_some(text)
    })
    .await
    .unwrap_or_else(|| panic!("`{css}` never read \"{prefix}...\""))
}

/// The audit log page's first line that `matches`, reloading while the
/// action's report travels from its service (outbox, RabbitMQ, ops).
async fn audit_line(browser: &Browser, matches: impl Fn(&str) -> bool) -> String {
    let mut rows = String::new();
    for _ in 0..40 {
        browser.goto(&gateway("/console/audit")).await;
        rows = wait_for(browser, "table#audit").await.text().await.unwrap();
        if let Some(line) = rows.lines().find(|l| matches(l)) {
            return line.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("no such audit entry:\n{rows}");
}

/// A run of a real cron job, started and waiting for its worker's report.
async fn running_run(token: &str) -> (String, Uuid) {
    let jobs: Value = reqwest::Client::new()
        .get(gateway(&format!("{}/jobs", cron().path)))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job = jobs[0]["name"].as_str().expect("a job").to_owned();
    let db = TestStack::load().connect(cron().database).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO job_runs (job_id, scheduled_for, trigger, status, fired_by) \
             SELECT id, now(), 'manual', 'queued', 'e2e' FROM jobs WHERE name = $1 \
             RETURNING uuid",
            [job.clone().into()],
        ))
        .await
        .unwrap()
        .expect("the run");
    (job, row.try_get("", "uuid").unwrap())
}

async fn runs(token: &str, job: &str) -> Vec<Value> {
    let page: Value = reqwest::Client::new()
        .get(gateway(&format!(
            "{}/jobs/{job}/runs?per_page=100",
            cron().path
        )))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn an_admin_replays_a_dead_letter_of_the_cron_results_sees_it_processed_and_in_the_audit_log()
{
    let stack = TestStack::load();
    let (email, token) = admin().await;
    // The worker's report on the run died in the results queue (its
    // database was down through every retry): a dead letter.
    let (job, run) = running_run(&token).await;
    let now = chrono::Utc::now();
    let envelope = json!({
        "id": Uuid::now_v7(),
        "type": TaskResult::TYPE,
        "version": 1,
        "occurred_at": now,
        "payload": {
            "run_uuid": run, "task": "e2e.report", "succeeded": true,
            "started_at": now, "finished_at": now, "error": null,
            "output": {"rows": 7, "api_token": "secret-value-never-shown"}, "worker": "e2e-worker",
        },
    });
    let id = envelope["id"].as_str().unwrap().to_owned();
    stack
        .publish_to_queue_with(
            "/",
            &format!("{}.dlq", results_queue()),
            &envelope,
            json!({"x-dayone-reason": "the run history could not be written", "x-dayone-attempt": 6}),
        )
        .await
        .unwrap();

    let browser = Browser::start().await;
    sign_in(&browser, &email).await;
    let dead = wait_for(
        &browser,
        &format!(
            "tr[data-queue='{}'] td[data-field='dead_letters'] a",
            results_queue()
        ),
    )
    .await;
    dead.click().await.unwrap();

    let letter = wait_for(&browser, &format!("article[data-id='{id}']")).await;
    let text = letter.text().await.unwrap();
    assert!(
        text.contains("the run history could not be written"),
        "{text}"
    );
    assert!(text.contains("e2e-worker"), "{text}");
    assert!(
        !text.contains("secret-value-never-shown"),
        "redacted like the logs: {text}"
    );
    letter
        .find(Locator::Css("button.primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let flash = wait_for_text(&browser, ".flash", "Replayed").await;
    assert_eq!(flash, "Replayed 1 dead letter.");
    assert!(
        browser
            .client
            .find(Locator::Css(&format!("article[data-id='{id}']")))
            .await
            .is_err(),
        "the dead letter left its queue"
    );

    // Processed: the run history recorded the run as the report said.
    let recorded = eventually(Duration::from_secs(15), || async {
        runs(&token, &job)
            .await
            .into_iter()
            .find(|r| r["uuid"] == run.to_string() && r["status"] == "succeeded")
    })
    .await
    .expect("the replayed report reached the run history");
    assert_eq!(recorded["output"]["rows"], 7);
    assert_eq!(recorded["worker"], "e2e-worker");

    // The audit log shows who did it, to what, in which request.
    browser.goto(&gateway("/console/audit")).await;
    let table = wait_for(&browser, "table#audit").await;
    let rows = table.text().await.unwrap();
    let line = rows
        .lines()
        .find(|l| l.contains(&format!("{}/{id}", results_queue())))
        .unwrap_or_else(|| panic!("no audit entry for the replay:\n{rows}"));
    assert!(line.contains("dead_letter.replay"), "{line}");
    assert!(line.contains(&email), "{line}");
    assert!(line.contains("done: 1"), "{line}");
    // ...and the API serves the same log.
    let entry = audit_entries(&token)
        .await
        .into_iter()
        .find(|e| e["target"] == format!("{}/{id}", results_queue()))
        .expect("the replay over the API");
    assert_eq!(entry["actor_email"], email.as_str());
    assert!(!entry["request_id"].as_str().unwrap().is_empty());
    browser.close().await;
}

#[tokio::test]
async fn a_plain_user_is_refused_and_gets_no_session() {
    let email = format!("ops-user-{}@example.com", Uuid::new_v4().simple());
    register_at(
        &reqwest::Client::new(),
        &gateway(""),
        json!({"email": email, "password": PASSWORD, "name": "Pat"}),
    )
    .await;
    let browser = Browser::start().await;
    submit_sign_in(&browser, &email).await;
    let refusal = wait_for(&browser, ".error").await;
    assert!(
        refusal.text().await.unwrap().contains("for admins"),
        "{}",
        refusal.text().await.unwrap()
    );
    browser.goto(&gateway("/console/")).await;
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(url.as_str(), gateway("/console/sign-in"), "no session");
    browser.close().await;
}

#[tokio::test]
async fn forms_without_the_sessions_csrf_token_are_refused_and_cookies_are_locked_down() {
    let (email, _) = admin().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = client
        .get(gateway("/console/sign-in"))
        .send()
        .await
        .unwrap();
    let sign_in_cookie = set_cookie(&form, "dayone_console_signin");
    let html = form.text().await.unwrap();
    let token = hidden_csrf(&html);

    // The sign-in form itself wants its double-submitted token.
    let forged = client
        .post(gateway("/console/sign-in"))
        .header("cookie", cookie_pair(&sign_in_cookie))
        .form(&[
            ("csrf", "not-the-token"),
            ("email", email.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);

    let signed = client
        .post(gateway("/console/sign-in"))
        .header("cookie", cookie_pair(&sign_in_cookie))
        .form(&[
            ("csrf", token.as_str()),
            ("email", email.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    let session = set_cookie(&signed, "dayone_console");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(session.contains(attribute), "{session}");
    }
    let cookie = cookie_pair(&session);

    let page = client
        .get(gateway("/console/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    let csrf = hidden_csrf(&page.text().await.unwrap());

    let without = client
        .post(gateway(&format!(
            "/console/queues/{}/discard",
            results_queue()
        )))
        .header("cookie", &cookie)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), 403);
    // The same form with the session's token goes through (nothing to
    // discard in a queue no one uses: 0).
    let with = client
        .post(gateway("/console/queues/ops.tasks/discard"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), 303);
    assert_eq!(
        with.headers()["location"],
        "/console/queues/ops.tasks?done=discard&n=0"
    );
    // A queue no service owns is not found.
    let unknown = client
        .post(gateway("/console/queues/no.such.queue/replay"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    // Signing out ends the session: the cookie no longer opens a page.
    let out = client
        .post(gateway("/console/sign-out"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let after = client
        .get(gateway("/console/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 303);
    assert_eq!(after.headers()["location"], "/console/sign-in");
}

/// Operations (method + path) in an OpenAPI document.
fn operations(document: &Value) -> usize {
    document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "put", "post", "delete", "patch"].contains(&k.as_str()))
                .count()
        })
        .sum()
}

#[tokio::test]
async fn the_api_reference_renders_every_services_operations_from_this_origin_only() {
    let stack = TestStack::load();
    let browser = Browser::start().await;
    let script: String = reqwest::get(gateway("/docs/docs.js"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for service in SERVICES {
        for url in service.documents {
            let document: Value = reqwest::get(gateway(url))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let expected = operations(&document);
            assert!(expected > 0, "{url} has operations");
            let start = script
                .find(&format!("\"url\":\"{url}\""))
                .unwrap_or_else(|| panic!("{url} is not in the reference"));
            // The name the selector shows, just before the url.
            let name_end = script[..start].rfind('"').unwrap();
            let name_start = script[..name_end].rfind('"').unwrap() + 1;
            let name = &script[name_start..name_end];
            browser
                .goto(&gateway(&format!(
                    "/docs/?urls.primaryName={}",
                    name.replace(' ', "%20")
                )))
                .await;
            let shown = eventually(Duration::from_secs(20), || async {
                let blocks = browser
                    .client
                    .find_all(Locator::Css(".opblock"))
                    .await
                    .ok()?;
                (blocks.len() == expected).then_some(blocks.len())
            })
            .await;
            let title = browser
                .client
                .find(Locator::Css(".info .title"))
                .await
                .map(|_| ())
                .is_ok();
            assert_eq!(
                shown,
                Some(expected),
                "{name} ({url}) shows its {expected} operations (title shown: {title})"
            );
        }
    }
    // Nothing came from another origin: every resource the page loaded is
    // the gateway's.
    let origins: Value = browser
        .client
        .execute(
            "return performance.getEntriesByType('resource').map(e => new URL(e.name).origin);",
            vec![],
        )
        .await
        .unwrap();
    let gateway_origin = stack.gateway_url();
    for origin in origins.as_array().unwrap() {
        assert_eq!(
            origin.as_str().unwrap(),
            gateway_origin.trim_end_matches('/')
        );
    }
    browser.close().await;
}

#[tokio::test]
async fn an_admin_runs_a_job_now_and_sees_the_run_in_its_history_and_the_audit_log() {
    let (email, token) = admin().await;
    // One of the cron service's own jobs (a check: quick, and harmless).
    let own = format!("{}.", cron().tasks.expect("tasks of its own"));
    let jobs: Value = reqwest::Client::new()
        .get(gateway(&format!("{}/jobs", cron().path)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job = jobs
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["task"].as_str().unwrap().starts_with(&own))
        .expect("a job of the cron service's own")["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let before: Vec<Value> = runs(&token, &job).await;

    let browser = Browser::start().await;
    sign_in(&browser, &email).await;
    browser.goto(&gateway("/console/jobs")).await;
    let row = wait_for(&browser, &format!("tr[data-job='{job}']")).await;
    row.find(Locator::Css("button.primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&browser, ".flash", "Run queued").await;

    // The new run shows in the history once its worker reports.
    let new_run = eventually(Duration::from_secs(20), || async {
        browser
            .goto(&gateway(&format!("/console/jobs/{job}")))
            .await;
        let rows = browser
            .client
            .find_all(Locator::Css("table#runs tr[data-run]"))
            .await
            .ok()?;
        for row in rows {
            let uuid = row.attr("data-run").await.ok()??;
            let status = row
                .find(Locator::Css(".status"))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            let known = before.iter().any(|r| r["uuid"] == uuid.as_str());
            if !known && status == "succeeded" {
                return Some(uuid);
            }
        }
        None
    })
    .await
    .expect("the run appeared in the history, succeeded");

    // Reported by the cron service, in the console request's name.
    let line = audit_line(&browser, |l| {
        l.contains("job.run") && l.contains(&job) && l.contains(&email)
    })
    .await;
    assert!(line.contains(cron().name), "{new_run}: {line}");
    browser.close().await;
}

/// A buyer who ordered through the gateway: email, and the order's number.
async fn buyer_with_an_order(admin_token: &str) -> (String, String) {
    let client = reqwest::Client::new();
    let product: Value = client
        .post(gateway("/v1/products"))
        .bearer_auth(admin_token)
        .json(&json!({"name": "Console mug", "description": "Support case", "price_cents": 1200, "stock": 5, "category": "kitchen"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let email = format!("ops-buyer-{}@example.com", Uuid::new_v4().simple());
    register_at(
        &client,
        &gateway(""),
        json!({"email": email, "password": PASSWORD, "name": "Bea"}),
    )
    .await;
    let token = login_at(&client, &gateway(""), &email).await;
    let order: Value = client
        .post(gateway("/v1/orders"))
        .bearer_auth(&token)
        .header("idempotency-key", Uuid::new_v4().to_string())
        .json(&json!({"items": [{"product_uuid": product["uuid"], "quantity": 1}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        email,
        order["number"]
            .as_str()
            .expect("an order number")
            .to_owned(),
    )
}

#[tokio::test]
async fn an_admin_finds_a_users_order_receipt_with_its_attempts_and_sends_it_again() {
    let stack = TestStack::load();
    let (admin_email, admin_token) = admin().await;
    let (email, number) = buyer_with_an_order(&admin_token).await;
    let subject = format!("Your order {number}");
    dayone_test_support::mail::wait_for_subject(&stack, &email, &subject, Duration::from_secs(20))
        .await
        .expect("the receipt was sent");

    let browser = Browser::start().await;
    sign_in(&browser, &admin_email).await;
    browser.goto(&gateway("/console/notifications")).await;
    let search = wait_for(&browser, "input[name=q]").await;
    search.send_keys(&email).await.unwrap();
    browser
        .client
        .find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    let receipt = wait_for(
        &browser,
        "article.notification[data-template='order_receipt']",
    )
    .await;
    let shown = receipt.text().await.unwrap();
    assert!(shown.contains(&email), "the delivery's address: {shown}");
    let attempts = receipt.find_all(Locator::Css("li.attempt")).await.unwrap();
    assert!(!attempts.is_empty(), "every attempt is listed: {shown}");
    let first = attempts[0].text().await.unwrap();
    assert!(first.starts_with("#1 sent at "), "{first}");
    assert_eq!(
        receipt
            .find(Locator::Css(".delivery-status"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "sent"
    );

    receipt
        .find(Locator::Css("button.primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let flash = wait_for_text(&browser, ".flash", "Queued again").await;
    assert_eq!(flash, "Queued again as a new message.");
    // The receipt arrives a second time.
    let twice = eventually(Duration::from_secs(20), || async {
        let count = dayone_test_support::mail::all(&stack)
            .await
            .ok()?
            .into_iter()
            .filter(|m| m["to"][0]["address"] == email.as_str() && m["subject"] == subject.as_str())
            .count();
        (count == 2).then_some(())
    })
    .await;
    assert!(twice.is_some(), "the receipt was sent again");

    audit_line(&browser, |l| {
        l.contains("notification.resend") && l.contains(&admin_email)
    })
    .await;
    browser.close().await;
}

async fn login_status(email: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(gateway("/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_admin_finds_a_user_disables_and_enables_them_and_the_audit_log_shows_it() {
    let (admin_email, _) = admin().await;
    let email = format!("ops-member-{}@example.com", Uuid::new_v4().simple());
    register_at(
        &reqwest::Client::new(),
        &gateway(""),
        json!({"email": email, "password": PASSWORD, "name": "Mo"}),
    )
    .await;
    assert_eq!(login_status(&email).await.0, 200);

    let browser = Browser::start().await;
    sign_in(&browser, &admin_email).await;
    browser.goto(&gateway("/console/users")).await;
    wait_for(&browser, "input[name=q]")
        .await
        .send_keys(&email)
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&browser, "table#users tr[data-user] a")
        .await
        .click()
        .await
        .unwrap();
    let sessions = wait_for(&browser, "table#sessions").await;
    assert_eq!(
        sessions
            .find_all(Locator::Css("tr[data-session]"))
            .await
            .unwrap()
            .len(),
        1,
        "the session of the login above"
    );

    browser
        .client
        .find(Locator::Css("button.danger"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&browser, ".flash", "Disabled").await;
    assert_eq!(
        wait_for(&browser, "dd.state").await.text().await.unwrap(),
        "disabled"
    );
    let (status, body) = login_status(&email).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("account_disabled"))
    );
    assert!(
        browser
            .client
            .find_all(Locator::Css("tr[data-session]"))
            .await
            .unwrap()
            .is_empty(),
        "its sessions ended"
    );

    browser
        .client
        .find(Locator::Css("#account ~ .actions button.primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&browser, ".flash", "Enabled").await;
    assert_eq!(login_status(&email).await.0, 200);

    for action in ["user.disable", "user.enable"] {
        audit_line(&browser, |l| l.contains(action) && l.contains(&admin_email)).await;
    }
    browser.close().await;
}

/// The newest 200 entries of the audit log, over its API.
async fn audit_entries(token: &str) -> Vec<Value> {
    let audit: Value = reqwest::Client::new()
        .get(gateway("/v1/ops/audit?limit=200"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    audit["entries"].as_array().unwrap().clone()
}

/// `method path` as `token` through the gateway, with `request_id`.
async fn admin_call(
    method: reqwest::Method,
    path: &str,
    token: &str,
    request_id: &str,
    body: Option<Value>,
) -> Value {
    let mut request = reqwest::Client::new()
        .request(method, gateway(path))
        .bearer_auth(token)
        .header("x-request-id", request_id);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap_or(Value::Null)
}

#[tokio::test]
async fn admin_actions_through_the_api_itself_are_in_the_audit_log_with_their_request_ids() {
    let (_, token) = admin().await;
    let me: Value = reqwest::Client::new()
        .get(gateway("/v1/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin_uuid = me["uuid"].as_str().unwrap().to_owned();
    let user = register_at(
        &reqwest::Client::new(),
        &gateway(""),
        json!({"email": format!("ops-api-{}@example.com", Uuid::new_v4().simple()), "password": PASSWORD}),
    )
    .await;
    let user_uuid = user["uuid"].as_str().unwrap().to_owned();
    let run = Uuid::new_v4().simple().to_string();
    let disable = format!("e2e-disable-{run}");
    admin_call(
        reqwest::Method::POST,
        &format!("/v1/users/{user_uuid}/disable"),
        &token,
        &disable,
        None,
    )
    .await;
    let create = format!("e2e-product-{run}");
    let product = admin_call(
        reqwest::Method::POST,
        "/v1/products",
        &token,
        &create,
        Some(json!({"name": "Audited lamp", "description": "", "price_cents": 900, "stock": 1})),
    )
    .await;
    let replay = format!("e2e-replay-{run}");
    let queue = results_queue();
    admin_call(
        reqwest::Method::POST,
        &format!("{}/admin/dead-letters/{queue}/replay", cron().path),
        &token,
        &replay,
        None,
    )
    .await;

    // Each is reported by the service that did it, once.
    let expected = [
        (disable, "user.disable", user_uuid),
        (
            create,
            "product.create",
            product["uuid"].as_str().unwrap().to_owned(),
        ),
        (replay, "dead_letters.replay", queue.to_owned()),
    ];
    let entries = eventually(Duration::from_secs(20), || async {
        let entries = audit_entries(&token).await;
        let all = expected
            .iter()
            .all(|(id, _, _)| entries.iter().any(|e| e["request_id"] == id.as_str()));
        all.then_some(entries)
    })
    .await
    .expect("every action reached the audit log");
    for (id, action, target) in &expected {
        let found: Vec<&Value> = entries
            .iter()
            .filter(|e| e["request_id"] == id.as_str())
            .collect();
        assert_eq!(found.len(), 1, "{id}: {found:?}");
        assert_eq!(found[0]["action"], *action);
        assert_eq!(found[0]["target"], target.as_str());
        assert_eq!(found[0]["actor_uuid"], admin_uuid.as_str());
        assert_eq!(found[0]["outcome"], "done");
    }
}

#[tokio::test]
async fn a_console_session_ends_as_soon_as_the_admins_sessions_are_revoked() {
    let (email, token) = admin().await;
    let cookie = dayone_test_support::console::sign_in(&gateway(""), &email).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = |client: reqwest::Client, cookie: String| async move {
        client
            .get(gateway("/console/"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(page(client.clone(), cookie.clone()).await, 200);
    // Signed out everywhere (the console's session included) while its
    // access token still has minutes to live.
    let out = client
        .post(gateway("/v1/auth/logout-all"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let ended = eventually(Duration::from_secs(5), || async {
        (page(client.clone(), cookie.clone()).await == 303).then_some(())
    })
    .await;
    assert!(
        ended.is_some(),
        "the console session outlived the revocation"
    );
}
