//! Sign-in with providers, against the fake OIDC provider and fake GitHub
//! (crates/fakes) that the real client code talks to: the flow, linking,
//! and the attacks: a wrong or reused state, a reused code, an id token
//! from another issuer or for another audience, an unverified provider
//! email that an account already has.

use std::net::SocketAddr;

use dayone_fakes::{FakeSaas, Keys};
use dayone_test_support::query_param;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::{Value, json};

use crate::helpers::{AuthApp, PASSWORD, error_code, spawn_app_with, unique_email};

const LANDING: &str = "http://app.test/signed-in";

struct OAuthApp {
    app: AuthApp,
    _fake: FakeSaas,
    /// Follows no redirects: each hop is checked.
    browser: reqwest::Client,
}

async fn spawn() -> OAuthApp {
    let fake = FakeSaas::start(SocketAddr::from(([127, 0, 0, 1], 0)), Keys::default())
        .await
        .unwrap();
    let url = fake.url();
    let issuer = format!("{url}/oidc/example");
    let github = format!("{url}/github");
    let github_api = format!("{url}/github/api");
    let app = spawn_app_with(&[
        ("APP_AUTH__OAUTH__REDIRECTS", LANDING),
        ("APP_AUTH__OAUTH__PROVIDERS__EXAMPLE__KIND", "oidc"),
        ("APP_AUTH__OAUTH__PROVIDERS__EXAMPLE__ISSUER", &issuer),
        (
            "APP_AUTH__OAUTH__PROVIDERS__EXAMPLE__CLIENT_ID",
            "dayone-test",
        ),
        (
            "APP_AUTH__OAUTH__PROVIDERS__EXAMPLE__CLIENT_SECRET",
            "example-secret",
        ),
        ("APP_AUTH__OAUTH__PROVIDERS__GITHUB__KIND", "github"),
        ("APP_AUTH__OAUTH__PROVIDERS__GITHUB__CLIENT_ID", "gh-client"),
        (
            "APP_AUTH__OAUTH__PROVIDERS__GITHUB__CLIENT_SECRET",
            "gh-secret",
        ),
        ("APP_AUTH__OAUTH__PROVIDERS__GITHUB__WEB_URL", &github),
        ("APP_AUTH__OAUTH__PROVIDERS__GITHUB__API_URL", &github_api),
    ])
    .await;
    OAuthApp {
        app,
        _fake: fake,
        browser: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

fn location(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::FOUND, "{response:?}");
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

impl OAuthApp {
    async fn get(&self, url: &str) -> reqwest::Response {
        self.browser.get(url).send().await.unwrap()
    }

    /// Starts a sign-in; answers the provider's sign-in page URL.
    async fn start(&self, provider: &str) -> String {
        let started = self
            .get(&self.app.url(&format!(
                "/v1/auth/oauth/{provider}/authorize?redirect_to={LANDING}"
            )))
            .await;
        location(&started)
    }

    /// The person signs in at the provider (the test says who); answers the
    /// callback URL on auth (the public URL's path, on the test's auth).
    async fn at_provider(&self, authorize_url: &str, who: &str) -> String {
        let back = location(&self.get(&format!("{authorize_url}&{who}")).await);
        let path = &back[back.find("/v1/auth/oauth/").unwrap()..];
        self.app.url(path)
    }

    /// The callback; answers the landing page's URL.
    async fn callback(&self, url: &str) -> String {
        location(&self.get(url).await)
    }

    async fn sign_in(&self, provider: &str, who: &str) -> String {
        let authorize = self.start(provider).await;
        let callback = self.at_provider(&authorize, who).await;
        self.callback(&callback).await
    }

    async fn tokens(&self, landing: &str) -> Value {
        let code = query_param(landing, "code").unwrap_or_else(|| panic!("no code in {landing}"));
        let response = self
            .app
            .post("/v1/auth/oauth/token", json!({"code": code}))
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

fn who(sub: &str, email: &str, verified: bool) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("fake_sub", sub)
        .append_pair("fake_email", email)
        .append_pair(
            "fake_email_verified",
            if verified { "true" } else { "false" },
        )
        .finish()
}

async fn me(app: &AuthApp, tokens: &Value) -> Value {
    app.get_as("/v1/auth/me", tokens["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_new_verified_identity_makes_an_account_and_signs_in_to_it_again() {
    let oauth = spawn().await;
    let authorize = oauth.start("example").await;
    // PKCE, state and nonce go to the provider.
    assert_eq!(
        query_param(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(query_param(&authorize, "code_challenge").unwrap().len(), 43);
    assert!(
        query_param(&authorize, "nonce").is_some() && query_param(&authorize, "state").is_some()
    );
    assert_eq!(
        query_param(&authorize, "scope").as_deref(),
        Some("openid email profile")
    );

    let email = unique_email();
    let sub = format!("sub-{}", uuid::Uuid::new_v4().simple());
    let callback = oauth
        .at_provider(&authorize, &who(&sub, &email, true))
        .await;
    let landing = oauth.callback(&callback).await;
    assert!(landing.starts_with(LANDING), "{landing}");
    let tokens = oauth.tokens(&landing).await;
    let account = me(&oauth.app, &tokens).await;
    assert_eq!(account["email"], email);
    assert_eq!(account["email_verified"], true);

    // The app's code is single-use.
    let again = oauth
        .app
        .post(
            "/v1/auth/oauth/token",
            json!({"code": query_param(&landing, "code")}),
        )
        .await;
    assert_eq!(
        error_code(again).await,
        (400, "invalid_or_expired_token".into())
    );
    // The state is single-use: the same callback again is refused.
    let replayed = oauth.get(&callback).await;
    assert_eq!(
        error_code(replayed).await,
        (400, "invalid_or_expired_token".into())
    );

    // The same person later: the same account, found by subject, even
    // when their email at the provider changed.
    let later = oauth
        .sign_in("example", &who(&sub, &unique_email(), true))
        .await;
    let tokens = oauth.tokens(&later).await;
    assert_eq!(me(&oauth.app, &tokens).await["uuid"], account["uuid"]);
}

#[tokio::test]
async fn a_wrong_state_and_a_reused_provider_code_are_refused() {
    let oauth = spawn().await;
    let authorize = oauth.start("example").await;
    let callback = oauth
        .at_provider(&authorize, &who("s-1", &unique_email(), true))
        .await;
    let code = query_param(&callback, "code").unwrap();
    let forged = oauth
        .get(&oauth.app.url(&format!(
            "/v1/auth/oauth/example/callback?code={code}&state=made-up"
        )))
        .await;
    assert_eq!(
        error_code(forged).await,
        (400, "invalid_or_expired_token".into())
    );
    let no_state = oauth
        .get(
            &oauth
                .app
                .url(&format!("/v1/auth/oauth/example/callback?code={code}")),
        )
        .await;
    assert_eq!(no_state.status(), 400);
    // The state of another provider's attempt does not fit this one.
    let other = oauth.start("github").await;
    let other_state = query_param(&other, "state").unwrap();
    let mixed = oauth
        .get(&oauth.app.url(&format!(
            "/v1/auth/oauth/example/callback?code={code}&state={other_state}"
        )))
        .await;
    assert_eq!(mixed.status(), 400);

    // The real callback still works once...
    let landing = oauth.callback(&callback).await;
    assert!(query_param(&landing, "code").is_some(), "{landing}");
    // ...and the provider's code cannot be used again in a new attempt.
    let fresh = oauth.start("example").await;
    let state = query_param(&fresh, "state").unwrap();
    let reused = oauth
        .callback(&oauth.app.url(&format!(
            "/v1/auth/oauth/example/callback?code={code}&state={state}"
        )))
        .await;
    assert_eq!(
        query_param(&reused, "error").as_deref(),
        Some("code_refused"),
        "{reused}"
    );
}

#[tokio::test]
async fn an_id_token_for_another_issuer_audience_or_sign_in_is_refused() {
    let oauth = spawn().await;
    for (knob, what) in [
        ("fake_iss=https%3A%2F%2Fevil.example", "issuer"),
        ("fake_aud=someone-else", "audience"),
        ("fake_nonce=from-another-sign-in", "nonce"),
    ] {
        let who = format!("{}&{knob}", who("s-2", &unique_email(), true));
        let landing = oauth.sign_in("example", &who).await;
        assert_eq!(
            query_param(&landing, "error").as_deref(),
            Some("invalid_id_token"),
            "{what}: {landing}"
        );
        assert!(query_param(&landing, "code").is_none());
    }
}

#[tokio::test]
async fn a_provider_email_an_account_has_never_takes_the_account_over() {
    let oauth = spawn().await;
    let email = unique_email();
    oauth.app.register(&email, None).await;
    // Unverified at the provider: refused outright.
    let landing = oauth.sign_in("example", &who("s-3", &email, false)).await;
    assert_eq!(
        query_param(&landing, "error").as_deref(),
        Some("email_not_verified")
    );
    // Verified at the provider: still not linked without the owner.
    let landing = oauth.sign_in("example", &who("s-3", &email, true)).await;
    assert_eq!(
        query_param(&landing, "error").as_deref(),
        Some("account_exists")
    );
    // No identity was recorded: the same subject is still refused.
    let landing = oauth.sign_in("example", &who("s-3", &email, true)).await;
    assert_eq!(
        query_param(&landing, "error").as_deref(),
        Some("account_exists")
    );

    // The owner, signed in, links it; from then on it signs them in.
    let owner = oauth.app.login(&email, PASSWORD).await;
    let started = oauth
        .app
        .send_as(
            reqwest::Method::POST,
            "/v1/auth/oauth/example/link",
            &owner.access,
            Some(json!({"redirect_to": LANDING})),
        )
        .await;
    assert_eq!(started.status(), 200);
    let started: Value = started.json().await.unwrap();
    let callback = oauth
        .at_provider(
            started["authorize_url"].as_str().unwrap(),
            &who("s-3", &email, true),
        )
        .await;
    let linked = oauth.callback(&callback).await;
    let owner_account = me(&oauth.app, &json!({"access_token": owner.access})).await;
    let tokens = oauth.tokens(&linked).await;
    assert_eq!(me(&oauth.app, &tokens).await["uuid"], owner_account["uuid"]);
    let landing = oauth.sign_in("example", &who("s-3", &email, true)).await;
    let tokens = oauth.tokens(&landing).await;
    assert_eq!(me(&oauth.app, &tokens).await["uuid"], owner_account["uuid"]);
}

#[tokio::test]
async fn github_signs_in_by_its_user_id_and_verified_primary_email() {
    let oauth = spawn().await;
    let authorize = oauth.start("github").await;
    assert!(
        authorize.contains("/github/login/oauth/authorize?"),
        "{authorize}"
    );
    assert!(
        query_param(&authorize, "nonce").is_none(),
        "GitHub has no id token"
    );
    let email = unique_email();
    let callback = oauth
        .at_provider(&authorize, &who("4242", &email, true))
        .await;
    let landing = oauth.callback(&callback).await;
    let tokens = oauth.tokens(&landing).await;
    assert_eq!(me(&oauth.app, &tokens).await["email"], email);
    let unverified = oauth
        .sign_in("github", &who("4243", &unique_email(), false))
        .await;
    assert_eq!(
        query_param(&unverified, "error").as_deref(),
        Some("email_not_verified")
    );
}

#[tokio::test]
async fn unknown_providers_and_pages_get_json_errors() {
    let oauth = spawn().await;
    let missing = oauth
        .get(&oauth.app.url("/v1/auth/oauth/nope/authorize"))
        .await;
    assert_eq!(error_code(missing).await, (404, "not_found".into()));
    let elsewhere = oauth
        .get(
            &oauth
                .app
                .url("/v1/auth/oauth/example/authorize?redirect_to=https://evil.example/steal"),
        )
        .await;
    assert_eq!(elsewhere.status(), 422);
    let listed: Value = oauth
        .app
        .get("/v1/auth/oauth/providers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!({"providers": ["example", "github"]}));
}
