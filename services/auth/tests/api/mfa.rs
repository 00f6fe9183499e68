//! The TOTP second factor: enrolling, signing in with a code or a recovery
//! code, and the attacks: a code replayed, a recovery code reused, a
//! challenge guessed at, the factor turned off without a fresh code.

use dayone_test_support::totp::code;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{AuthApp, PASSWORD, User, amr, error_code, spawn_app};

async fn post(app: &AuthApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    app.send_as(Method::POST, path, token, Some(body)).await
}

/// Turns the factor on for `user`; returns the secret, the recovery codes
/// and the code that confirmed it (used: a replay from now on).
async fn enrolled(app: &AuthApp, user: &User) -> (String, Vec<String>, String) {
    let token = &user.tokens.access;
    let enrollment = app.post_as("/v1/auth/mfa/totp", token).await;
    assert_eq!(enrollment.status(), 201);
    let enrollment: Value = enrollment.json().await.unwrap();
    let secret = enrollment["secret"].as_str().unwrap().to_owned();
    let first = code(&secret, 0);
    let confirmed = post(
        app,
        "/v1/auth/mfa/totp/confirm",
        token,
        json!({"code": first}),
    )
    .await;
    assert_eq!(confirmed.status(), 200);
    let codes: Value = confirmed.json().await.unwrap();
    let codes = codes["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes, first)
}

async fn challenge(app: &AuthApp, user: &User) -> String {
    let response = app.login_response(&user.email, PASSWORD).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["mfa_required"], true, "{body}");
    assert!(
        body.get("access_token").is_none(),
        "no tokens before the code"
    );
    body["mfa_token"].as_str().unwrap().to_owned()
}

async fn verify(app: &AuthApp, body: Value) -> reqwest::Response {
    app.post("/v1/auth/mfa/verify", body).await
}

#[tokio::test]
async fn enrolling_shows_the_secret_once_and_a_code_turns_it_on() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let token = &user.tokens.access;
    let enrollment: Value = app
        .post_as("/v1/auth/mfa/totp", token)
        .await
        .json()
        .await
        .unwrap();
    let secret = enrollment["secret"].as_str().unwrap();
    let uri = enrollment["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Dayone:"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(enrollment["qr_svg"].as_str().unwrap().contains("<svg"));
    // Not on until confirmed: sign-in still answers tokens.
    assert!(app.login(&user.email, PASSWORD).await.access.len() > 20);

    let wrong = post(
        &app,
        "/v1/auth/mfa/totp/confirm",
        token,
        json!({"code": "000000"}),
    )
    .await;
    assert_eq!(error_code(wrong).await, (401, "invalid_code".into()));
    let confirmed = post(
        &app,
        "/v1/auth/mfa/totp/confirm",
        token,
        json!({"code": code(secret, 0)}),
    )
    .await;
    assert_eq!(confirmed.status(), 200);
    let codes: Value = confirmed.json().await.unwrap();
    assert_eq!(codes["recovery_codes"].as_array().unwrap().len(), 10);
    let status: Value = app
        .get_as("/v1/auth/mfa", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status, json!({"totp": true, "recovery_codes_left": 10}));
    // Enrolling again while on is refused.
    let again = app.post_as("/v1/auth/mfa/totp", token).await;
    assert_eq!(error_code(again).await, (409, "conflict".into()));
}

#[tokio::test]
async fn sign_in_needs_the_code_and_a_code_is_accepted_once() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (secret, _, first) = enrolled(&app, &user).await;

    let mfa_token = challenge(&app, &user).await;
    // The confirmation's code is used: replaying it is refused.
    let replayed = verify(&app, json!({"mfa_token": mfa_token, "code": first})).await;
    assert_eq!(error_code(replayed).await, (401, "invalid_code".into()));
    let next = code(&secret, 1);
    let signed_in = verify(&app, json!({"mfa_token": mfa_token, "code": next})).await;
    assert_eq!(signed_in.status(), 200);
    let tokens: Value = signed_in.json().await.unwrap();
    assert_eq!(
        amr(tokens["access_token"].as_str().unwrap()),
        json!(["pwd", "otp"])
    );
    // The amr survives a refresh.
    let refreshed: Value = app
        .post(
            "/v1/auth/refresh",
            json!({"refresh_token": tokens["refresh_token"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        amr(refreshed["access_token"].as_str().unwrap()),
        json!(["pwd", "otp"])
    );

    // The challenge is spent, and the same code in a new challenge is a replay.
    let spent = verify(&app, json!({"mfa_token": mfa_token, "code": next})).await;
    assert_eq!(
        error_code(spent).await,
        (400, "invalid_or_expired_token".into())
    );
    let fresh = challenge(&app, &user).await;
    let replayed = verify(&app, json!({"mfa_token": fresh, "code": next})).await;
    assert_eq!(error_code(replayed).await, (401, "invalid_code".into()));
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (_, codes, _) = enrolled(&app, &user).await;
    let mfa_token = challenge(&app, &user).await;
    let used = verify(
        &app,
        json!({"mfa_token": mfa_token, "recovery_code": codes[3].to_lowercase()}),
    )
    .await;
    assert_eq!(used.status(), 200, "codes are case-insensitive");
    let mfa_token = challenge(&app, &user).await;
    let reused = verify(
        &app,
        json!({"mfa_token": mfa_token, "recovery_code": codes[3]}),
    )
    .await;
    assert_eq!(error_code(reused).await, (401, "invalid_code".into()));
    let status: Value = app
        .get_as("/v1/auth/mfa", &user.tokens.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["recovery_codes_left"], 9);
    let neither = verify(&app, json!({"mfa_token": mfa_token})).await;
    assert_eq!(neither.status(), 422);
}

#[tokio::test]
async fn a_challenge_takes_five_tries() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (secret, _, _) = enrolled(&app, &user).await;
    let mfa_token = challenge(&app, &user).await;
    for _ in 0..5 {
        let wrong = verify(&app, json!({"mfa_token": mfa_token, "code": "123456"})).await;
        assert_eq!(wrong.status(), 401);
    }
    let right = verify(
        &app,
        json!({"mfa_token": mfa_token, "code": code(&secret, 1)}),
    )
    .await;
    assert_eq!(
        error_code(right).await,
        (400, "invalid_or_expired_token".into())
    );
}

#[tokio::test]
async fn routes_can_demand_the_second_factor() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (secret, codes, _) = enrolled(&app, &user).await;
    // The session from before the factor was on has no `otp` in its amr.
    assert_eq!(amr(&user.tokens.access), json!(["pwd"]));
    let refused = app
        .post_as("/v1/auth/mfa/recovery-codes", &user.tokens.access)
        .await;
    assert_eq!(error_code(refused).await, (403, "forbidden".into()));
    let mfa_token = challenge(&app, &user).await;
    let tokens: Value = verify(
        &app,
        json!({"mfa_token": mfa_token, "code": code(&secret, 1)}),
    )
    .await
    .json()
    .await
    .unwrap();
    let strong = tokens["access_token"].as_str().unwrap();
    let regenerated = app.post_as("/v1/auth/mfa/recovery-codes", strong).await;
    assert_eq!(regenerated.status(), 200);
    let regenerated: Value = regenerated.json().await.unwrap();
    assert!(!regenerated.to_string().contains(&codes[0]), "new codes");
    // The old codes stopped working.
    let mfa_token = challenge(&app, &user).await;
    let old = verify(
        &app,
        json!({"mfa_token": mfa_token, "recovery_code": codes[0]}),
    )
    .await;
    assert_eq!(error_code(old).await, (401, "invalid_code".into()));
}

#[tokio::test]
async fn turning_the_factor_off_needs_a_fresh_code() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let token = &user.tokens.access;
    let (secret, _, first) = enrolled(&app, &user).await;
    // The confirmation's code is used; a wrong code is wrong.
    for stale in [first, "999999".into()] {
        let off = post(
            &app,
            "/v1/auth/mfa/totp/disable",
            token,
            json!({"code": stale}),
        )
        .await;
        assert_eq!(error_code(off).await, (401, "invalid_code".into()));
    }
    let off = post(
        &app,
        "/v1/auth/mfa/totp/disable",
        token,
        json!({"code": code(&secret, 1)}),
    )
    .await;
    assert_eq!(off.status(), 204);
    let status: Value = app
        .get_as("/v1/auth/mfa", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status, json!({"totp": false, "recovery_codes_left": 0}));
    // Sign-in answers tokens again.
    assert!(app.login(&user.email, PASSWORD).await.access.len() > 20);
}

#[tokio::test]
async fn an_sms_code_sign_in_also_ends_in_the_challenge() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (secret, _, _) = enrolled(&app, &user).await;
    let phone = user.phone.clone().unwrap();
    let asked = app
        .post("/v1/auth/otp/request", json!({"phone": phone}))
        .await;
    assert_eq!(asked.status(), 202);
    let sms = app.sms_code(&phone, 0).await;
    let response = app
        .post("/v1/auth/otp/verify", json!({"phone": phone, "code": sms}))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["mfa_required"], true, "{body}");
    let tokens: Value = verify(
        &app,
        json!({"mfa_token": body["mfa_token"], "code": code(&secret, 1)}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        amr(tokens["access_token"].as_str().unwrap()),
        json!(["sms", "otp"])
    );
}
