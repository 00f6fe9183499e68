//! Passkeys against a software authenticator: several per account, sign-in
//! without an email, and the attacks: a challenge answered twice, an
//! assertion from another page, a cloned authenticator's stale counter, a
//! deleted passkey.

use dayone_test_support::passkey::SoftPasskey;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{AuthApp, User, amr, error_code, spawn_app_with};

const ORIGIN: &str = "http://localhost:8080";

async fn spawn() -> AuthApp {
    spawn_app_with(&[("APP_AUTH__PASSKEYS__ORIGINS", ORIGIN)]).await
}

async fn register(app: &AuthApp, user: &User, name: &str) -> (SoftPasskey, Value) {
    let token = &user.tokens.access;
    let started: Value = app
        .post_as("/v1/auth/passkeys/register/start", token)
        .await
        .json()
        .await
        .unwrap();
    let public_key = &started["options"]["publicKey"];
    assert_eq!(public_key["rp"]["id"], "localhost");
    // Discoverable: sign-in asks for no email.
    assert_eq!(
        public_key["authenticatorSelection"]["residentKey"],
        "required"
    );
    let (passkey, credential) = SoftPasskey::create(&started["options"], ORIGIN);
    let finished = app
        .send_as(
            Method::POST,
            "/v1/auth/passkeys/register/finish",
            token,
            Some(json!({"challenge_id": started["challenge_id"], "name": name, "credential": credential})),
        )
        .await;
    assert_eq!(finished.status(), 201);
    (passkey, finished.json().await.unwrap())
}

async fn start_sign_in(app: &AuthApp) -> Value {
    let started = app.post("/v1/auth/passkeys/login/start", json!({})).await;
    assert_eq!(started.status(), 200);
    started.json().await.unwrap()
}

async fn finish_sign_in(app: &AuthApp, started: &Value, credential: Value) -> reqwest::Response {
    app.post(
        "/v1/auth/passkeys/login/finish",
        json!({"challenge_id": started["challenge_id"], "credential": credential}),
    )
    .await
}

#[tokio::test]
async fn a_passkey_signs_its_account_in_without_an_email() {
    let app = spawn().await;
    let user = app.new_user().await;
    let (mut laptop, _) = register(&app, &user, "Laptop").await;
    let (_phone, _) = register(&app, &user, "Phone").await;
    let listed: Value = app
        .get_as("/v1/auth/passkeys", &user.tokens.access)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Laptop", "Phone"]);

    let started = start_sign_in(&app).await;
    let answer = laptop.get(&started["options"], ORIGIN);
    let signed_in = finish_sign_in(&app, &started, answer.clone()).await;
    assert_eq!(signed_in.status(), 200);
    let tokens: Value = signed_in.json().await.unwrap();
    let me: Value = app
        .get_as("/v1/auth/me", tokens["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["uuid"], user.uuid.to_string());
    // A passkey is a second factor by itself.
    assert_eq!(
        amr(tokens["access_token"].as_str().unwrap()),
        json!(["hwk"])
    );
    let strong = app
        .get_as(
            "/v1/auth/passkeys",
            tokens["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(strong.status(), 200);

    // The challenge is answered once.
    let replayed = finish_sign_in(&app, &started, answer).await;
    assert_eq!(
        error_code(replayed).await,
        (400, "invalid_or_expired_token".into())
    );
}

#[tokio::test]
async fn an_assertion_from_another_page_or_with_a_stale_counter_is_refused() {
    let app = spawn().await;
    let user = app.new_user().await;
    let (mut key, _) = register(&app, &user, "Key").await;

    let started = start_sign_in(&app).await;
    let phished = key.get(&started["options"], "https://dayone-login.example");
    let refused = finish_sign_in(&app, &started, phished).await;
    assert_eq!(
        error_code(refused).await,
        (401, "invalid_credentials".into())
    );

    let started = start_sign_in(&app).await;
    let answer = key.get(&started["options"], ORIGIN);
    assert_eq!(finish_sign_in(&app, &started, answer).await.status(), 200);
    // A copy of the key still counting from before.
    let started = start_sign_in(&app).await;
    let cloned = key.assert_with(&started["options"], ORIGIN, 1);
    let refused = finish_sign_in(&app, &started, cloned).await;
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("compromised"),
        "{body}"
    );

    // Another authenticator's signature for this passkey's id.
    let (other, _) = register(&app, &app.new_user().await, "Other").await;
    let started = start_sign_in(&app).await;
    let mut forged = other.assert_with(&started["options"], ORIGIN, 50);
    forged["id"] = key.get(&started["options"], ORIGIN)["id"].clone();
    forged["rawId"] = forged["id"].clone();
    let refused = finish_sign_in(&app, &started, forged).await;
    assert_eq!(refused.status(), 401);
}

#[tokio::test]
async fn a_deleted_passkey_no_longer_signs_in_and_others_cannot_delete_it() {
    let app = spawn().await;
    let user = app.new_user().await;
    let (mut key, saved) = register(&app, &user, "Key").await;
    let path = format!("/v1/auth/passkeys/{}", saved["uuid"].as_str().unwrap());
    let stranger = app.new_user().await;
    let theirs = app
        .send_as(Method::DELETE, &path, &stranger.tokens.access, None)
        .await;
    assert_eq!(error_code(theirs).await, (404, "not_found".into()));
    let deleted = app
        .send_as(Method::DELETE, &path, &user.tokens.access, None)
        .await;
    assert_eq!(deleted.status(), 204);
    let started = start_sign_in(&app).await;
    let answer = key.get(&started["options"], ORIGIN);
    assert_eq!(
        error_code(finish_sign_in(&app, &started, answer).await)
            .await
            .0,
        401
    );
}
