use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::helpers::{AuthApp, PASSWORD, error_code, spawn_app, spawn_app_with, unique_email};

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn login_returns_a_short_lived_access_token_and_a_refresh_token() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let response = app.login_response(&user.email, PASSWORD).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["refresh_token"].as_str().unwrap().len() >= 43);

    let token = body["access_token"].as_str().unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert!(header["kid"].is_string());
    let claims = claims(token);
    assert_eq!(claims["sub"], user.uuid.to_string());
    assert_eq!(claims["roles"], json!(["user"]));
    assert_eq!(claims["iss"], "dayone-auth");
    assert_eq!(claims["aud"], "dayone-api");
    assert!(claims["sid"].is_string() && claims["jti"].is_string());
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert!(lifetime <= 15 * 60);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let wrong_password = app
        .login_response(&user.email, "not the password at all")
        .await;
    let unknown_email = app.login_response(&unique_email(), PASSWORD).await;
    assert_eq!(wrong_password.status(), 401);
    assert_eq!(unknown_email.status(), 401);
    let mut a: Value = wrong_password.json().await.unwrap();
    let mut b: Value = unknown_email.json().await.unwrap();
    a["request_id"] = Value::Null;
    b["request_id"] = Value::Null;
    assert_eq!(a, b);
    assert_eq!(a["code"], "invalid_credentials");
}

#[tokio::test]
async fn an_unknown_email_costs_about_as_much_time_as_a_wrong_password() {
    // Cost 9 makes a bcrypt check long enough to measure against the noise.
    let app = spawn_app_with(&[("APP_AUTH__BCRYPT_COST", "9")]).await;
    let user = app.new_user().await;
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        app.login_response(&user.email, "not the password at all")
            .await;
        wrong.push(started.elapsed());
        let started = Instant::now();
        app.login_response(&unique_email(), "not the password at all")
            .await;
        unknown.push(started.elapsed());
    }
    let (wrong, unknown) = (*wrong.iter().min().unwrap(), *unknown.iter().min().unwrap());
    assert!(
        unknown.as_secs_f64() > wrong.as_secs_f64() * 0.5
            && unknown.as_secs_f64() < wrong.as_secs_f64() * 2.0,
        "wrong password {wrong:?}, unknown email {unknown:?}"
    );
}

#[tokio::test]
async fn ten_failures_block_the_account_for_a_while_even_with_the_right_password() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    for _ in 0..10 {
        assert_eq!(
            app.login_response(&user.email, "wrong password!")
                .await
                .status(),
            401
        );
    }
    let blocked = app.login_response(&user.email, PASSWORD).await;
    assert_eq!(blocked.status(), 429);
    let retry_after: u64 = blocked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert_eq!(error_code(blocked).await.1, "rate_limited");

    // Another account is not affected.
    let other = app.new_user().await;
    assert_eq!(
        app.login_response(&other.email, PASSWORD).await.status(),
        200
    );
}

#[tokio::test]
async fn the_block_is_temporary() {
    let app = spawn_app_with(&[("APP_AUTH__LOGIN__WINDOW_SECS", "2")]).await;
    let user = app.new_user().await;
    for _ in 0..10 {
        app.login_response(&user.email, "wrong password!").await;
    }
    assert_eq!(
        app.login_response(&user.email, PASSWORD).await.status(),
        429
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        app.login_response(&user.email, PASSWORD).await.status(),
        200
    );
}

#[tokio::test]
async fn failures_from_one_address_are_limited_across_accounts() {
    let app = spawn_app_with(&[("APP_AUTH__LOGIN__MAX_FAILURES_PER_IP", "3")]).await;
    let login_from = |ip: &'static str, email: String| {
        let app = &app;
        async move {
            app.post_from(
                ip,
                "/v1/auth/login",
                json!({"email": email, "password": "wrong password!"}),
            )
            .await
            .status()
        }
    };
    for _ in 0..3 {
        assert_eq!(login_from("203.0.113.7", unique_email()).await, 401);
    }
    assert_eq!(login_from("203.0.113.7", unique_email()).await, 429);
    assert_eq!(
        login_from("198.51.100.1", unique_email()).await,
        401,
        "another address"
    );
}

#[tokio::test]
async fn a_proxy_is_trusted_by_its_network_and_an_untrusted_peer_cannot_pick_its_address() {
    async fn failures_until_limited(app: &AuthApp, addresses: &[&str]) -> Vec<u16> {
        let mut statuses = Vec::new();
        for ip in addresses {
            let status = app
                .post_from(
                    ip,
                    "/v1/auth/login",
                    json!({"email": unique_email(), "password": "wrong password!"}),
                )
                .await
                .status()
                .as_u16();
            statuses.push(status);
        }
        statuses
    }
    let addresses = [
        "203.0.113.7",
        "203.0.113.7",
        "198.51.100.1",
        "192.0.2.9",
        "203.0.113.7",
    ];

    for (trusted, expected) in [
        // The test client connects from 127.0.0.1, inside 127.0.0.0/8: its
        // X-Real-IP is believed, so each address is counted on its own.
        ("127.0.0.0/8", [401, 401, 401, 401, 429]),
        // Not a trusted network: the header is ignored and every failure
        // counts against the peer itself, whatever address it claims.
        ("10.0.0.0/8", [401, 401, 429, 429, 429]),
    ] {
        let app = spawn_app_with(&[
            ("APP_AUTH__LOGIN__MAX_FAILURES_PER_IP", "2"),
            ("APP_APPLICATION__TRUSTED_PROXIES", trusted),
        ])
        .await;
        assert_eq!(
            failures_until_limited(&app, &addresses).await,
            expected,
            "trusting {trusted}"
        );
    }
}

#[tokio::test]
async fn a_hash_made_with_another_cost_is_upgraded_on_login() {
    let app = spawn_app().await; // the test settings use cost 4
    let user = app.new_user().await;
    let old = bcrypt::hash(PASSWORD, 5).unwrap();
    app.db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE users SET password_hash = $1 WHERE uuid = $2",
            [old.into(), user.uuid.into()],
        ))
        .await
        .unwrap();

    app.login(&user.email, PASSWORD).await;

    let row = app
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT password_hash FROM users WHERE uuid = $1",
            [user.uuid.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    let hash: String = row.try_get("", "password_hash").unwrap();
    assert!(hash.starts_with("bcrypt_sha256$$2b$04$"), "{hash}");
    app.login(&user.email, PASSWORD).await;
}

#[tokio::test]
async fn a_nul_in_the_email_is_a_422_naming_it_not_a_500() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/v1/auth/login",
            json!({"email": "a\u{0}@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "validation_failed");
    assert!(body["details"]["fields"]["email"].is_array(), "{body}");
}

/// bcrypt reads 72 bytes; the stored hash is of the whole password, so a
/// wrong ending after 72 bytes is a wrong password.
#[tokio::test]
async fn a_wrong_suffix_after_72_bytes_does_not_log_in() {
    let app = spawn_app().await;
    let email = unique_email();
    let password = format!("{}-the-real-ending", "x".repeat(72));
    let registered = app
        .post(
            "/v1/auth/register",
            json!({"email": email, "password": password}),
        )
        .await;
    assert_eq!(registered.status(), 201);
    let wrong = format!("{}-another-ending", "x".repeat(72));
    let response = app.login_response(&email, &wrong).await;
    assert_eq!(response.status(), 401);
    app.login(&email, &password).await;
}

/// With one hashing worker and a short bound, a burst of logins is served
/// in turn up to the bound and the rest are refused at once with a 503 and
/// `Retry-After`: never a 500, and never counted as a failed login.
#[tokio::test]
async fn logins_beyond_the_hashing_bound_get_a_503_with_retry_after_at_once() {
    let app = spawn_app_with(&[
        ("APP_AUTH__BCRYPT_COST", "8"),
        ("APP_AUTH__HASHING_WORKERS", "1"),
        ("APP_AUTH__HASHING_MAX_WAIT_MS", "100"),
    ])
    .await;
    let user = app.new_user().await;
    // One login first, so the hasher knows what a hash costs.
    assert_eq!(
        app.login_response(&user.email, PASSWORD).await.status(),
        200
    );
    let burst = (0..24).map(|_| async {
        let started = Instant::now();
        let response = app.login_response(&user.email, PASSWORD).await;
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").cloned();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        (status, retry_after, body, started.elapsed())
    });
    let answers = futures_util::future::join_all(burst).await;
    let ok = answers.iter().filter(|a| a.0 == 200).count();
    let refused: Vec<_> = answers.iter().filter(|a| a.0 == 503).collect();
    assert_eq!(ok + refused.len(), answers.len(), "only 200s and 503s");
    assert!(ok >= 1, "the first in line are served");
    assert!(!refused.is_empty(), "the rest are refused");
    for (_, retry_after, body, took) in &refused {
        assert!(retry_after.is_some());
        assert_eq!(body["code"], "dependency_unavailable");
        assert!(
            *took < Duration::from_secs(2),
            "refused at once, not after waiting"
        );
    }
    // Refusals are not failed logins: the account is not blocked.
    assert_eq!(
        app.login_response(&user.email, PASSWORD).await.status(),
        200
    );
}
