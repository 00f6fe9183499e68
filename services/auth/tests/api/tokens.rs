//! The access-token checks, through `GET /v1/auth/me`: the same extractor
//! every service uses.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::Ed25519KeyPair;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dayone_auth::keys::SigningKeys;
use dayone_web::auth::Claims;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{AuthApp, User, error_code, spawn_app};

fn settings(app: &AuthApp) -> dayone_auth::Settings {
    dayone_web::settings::load_with(
        "auth",
        &dayone_test_support::config_dir(),
        app.env.vars.clone(),
    )
    .unwrap()
}

fn claims_for(user: &User, adjust: impl FnOnce(&mut Claims)) -> Claims {
    let now = chrono::Utc::now().timestamp();
    let mut claims = Claims {
        sub: user.uuid,
        sid: Uuid::new_v4(),
        roles: vec!["user".into(), "admin".into()],
        iss: "dayone-auth".into(),
        aud: "dayone-api".into(),
        exp: now + 600,
        iat: now,
        jti: Uuid::new_v4(),
        amr: Vec::new(),
    };
    adjust(&mut claims);
    claims
}

async fn me(app: &AuthApp, token: &str) -> (u16, String, Option<String>) {
    let response = app.get_as("/v1/auth/me", token).await;
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let (status, code) = error_code(response).await;
    (status, code, challenge)
}

#[tokio::test]
async fn a_valid_token_gets_the_callers_account() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let response = app.get_as("/v1/auth/me", &user.tokens.access).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["uuid"], user.uuid.to_string());
    assert_eq!(body["email"], user.email);
}

#[tokio::test]
async fn a_missing_token_is_a_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let response = app.get("/v1/auth/me").await;
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(error_code(response).await.1, "unauthorized");
}

#[tokio::test]
async fn a_malformed_header_or_token_is_refused() {
    let app = spawn_app().await;
    for header in [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer not.a.jwt",
        "Bearer ",
        "token",
    ] {
        let response = app
            .client
            .get(app.url("/v1/auth/me"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{header}");
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
    }
}

#[tokio::test]
async fn expired_tokens_and_tokens_for_another_audience_or_issuer_are_refused() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let keys = SigningKeys::from_settings(&settings(&app).auth).unwrap();
    let cases = [
        claims_for(&user, |c| {
            c.exp = chrono::Utc::now().timestamp() - 60;
            c.iat = c.exp - 900;
        }),
        // Issued a day ahead and valid for a year: the signer is trusted,
        // the claims are not.
        claims_for(&user, |c| {
            c.iat = chrono::Utc::now().timestamp() + 86_400;
            c.exp = c.iat + 600;
        }),
        claims_for(&user, |c| c.exp = c.iat + 365 * 86_400),
        claims_for(&user, |c| c.exp = c.iat + 901),
        claims_for(&user, |c| c.aud = "another-api".into()),
        claims_for(&user, |c| c.iss = "someone-else".into()),
    ];
    for claims in cases {
        let token = keys.sign(&claims).unwrap();
        let (status, code, challenge) = me(&app, &token).await;
        assert_eq!(
            (status, code.as_str()),
            (401, "invalid_token"),
            "{claims:?}"
        );
        assert!(challenge.unwrap().contains("invalid_token"));
    }
    // The same signer with good claims is accepted: the refusals above were
    // about the claims, not the key.
    let good = keys.sign(&claims_for(&user, |_| {})).unwrap();
    assert_eq!(me(&app, &good).await.0, 200);
}

#[tokio::test]
async fn alg_none_is_refused() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims_for(&user, |_| {})).unwrap());
    let token = format!("{header}.{payload}.");
    assert_eq!(me(&app, &token).await.0, 401);
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_refused() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let jwks: Value = app
        .get("/v1/auth/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let key = &jwks["keys"][0];
    let public = URL_SAFE_NO_PAD.decode(key["x"].as_str().unwrap()).unwrap();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = key["kid"].as_str().map(str::to_owned);
    for secret in [
        public.clone(),
        key["x"].as_str().unwrap().as_bytes().to_vec(),
    ] {
        let token = jsonwebtoken::encode(
            &header,
            &claims_for(&user, |_| {}),
            &EncodingKey::from_secret(&secret),
        )
        .unwrap();
        assert_eq!(me(&app, &token).await.0, 401);
    }
}

#[tokio::test]
async fn a_token_signed_by_an_unknown_key_is_refused() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let mut header = Header::new(Algorithm::EdDSA);
    for kid in [
        Some("dev-2026-11".to_owned()),
        Some("attacker".to_owned()),
        None,
    ] {
        header.kid = kid.clone();
        let token = jsonwebtoken::encode(
            &header,
            &claims_for(&user, |_| {}),
            &EncodingKey::from_ed_der(pkcs8.as_ref()),
        )
        .unwrap();
        assert_eq!(me(&app, &token).await.0, 401, "kid {kid:?}");
    }
}

#[tokio::test]
async fn the_jwks_publishes_the_ed25519_key_tokens_verify_with() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let response = app.get("/v1/auth/.well-known/jwks.json").await;
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let jwks: jsonwebtoken::jwk::JwkSet = response.json().await.unwrap();
    let jwk = &jwks.keys[0];
    let header = jsonwebtoken::decode_header(&user.tokens.access).unwrap();
    assert_eq!(header.kid, jwk.common.key_id);
    let mut validation = jsonwebtoken::Validation::new(Algorithm::EdDSA);
    validation.set_audience(&["dayone-api"]);
    let decoded = jsonwebtoken::decode::<Claims>(
        &user.tokens.access,
        &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .unwrap();
    assert_eq!(decoded.claims.sub, user.uuid);
}

#[tokio::test]
async fn a_previous_key_listed_for_rotation_is_still_accepted() {
    // The old key signs; the new one is current; the old one is listed.
    let old = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let old_pair = Ed25519KeyPair::from_pkcs8(old.as_ref()).unwrap();
    let old_x =
        URL_SAFE_NO_PAD.encode(aws_lc_rs::signature::KeyPair::public_key(&old_pair).as_ref());
    let previous = format!("old-key:{old_x}");
    let app =
        crate::helpers::spawn_app_with(&[("APP_AUTH__PREVIOUS_KEYS", previous.as_str())]).await;
    let user = app.new_user().await;
    let jwks: Value = app
        .get("/v1/auth/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2, "{jwks}");
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("old-key".into());
    let claims = claims_for(&user, |c| c.sid = Uuid::new_v4());
    let token =
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(old.as_ref())).unwrap();
    assert_eq!(me(&app, &token).await.0, 200);
}

#[tokio::test]
async fn a_token_accepted_before_is_refused_once_it_expires() {
    // Verified tokens are remembered by their text; expiry is still checked
    // on every request. The test settings allow `leeway_secs` (5) of skew.
    let app = spawn_app().await;
    let user = app.new_user().await;
    let keys = SigningKeys::from_settings(&settings(&app).auth).unwrap();
    let token = keys
        .sign(&claims_for(&user, |c| {
            c.exp = chrono::Utc::now().timestamp() - 4;
            c.iat = c.exp - 900;
        }))
        .unwrap();
    assert_eq!(me(&app, &token).await.0, 200, "within the leeway");
    assert_eq!(me(&app, &token).await.0, 200, "remembered");
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let (status, code, _) = me(&app, &token).await;
    assert_eq!((status, code.as_str()), (401, "invalid_token"));
}
