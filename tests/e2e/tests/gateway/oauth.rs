//! Sign-in with a provider through the gateway, against the stack's fake
//! OpenID Connect provider: the browser's hops (gateway, provider, the
//! gateway's callback, the app's page) and the one-time code the app
//! trades for tokens.

use dayone_test_support::{accounts, query_param};
use reqwest::header::{AUTHORIZATION, LOCATION};
use serde_json::{Value, json};

use super::gateway;

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn hop(url: &str) -> String {
    let response = browser().get(url).send().await.unwrap();
    assert_eq!(response.status(), 302, "{url}: {:?}", response.text().await);
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

/// Signs in at the fake provider as `sub` with `email`; answers the page
/// the sign-in ends on.
async fn sign_in(sub: &str, email: &str, verified: bool) -> String {
    let at_provider = hop(&gateway(&format!(
        "{}/oauth/example/authorize",
        accounts().path
    )))
    .await;
    assert!(
        at_provider.contains("/oidc/example/authorize?"),
        "{at_provider}"
    );
    let callback = hop(&format!(
        "{at_provider}&fake_sub={sub}&fake_email={}&fake_email_verified={verified}",
        email.replace('@', "%40")
    ))
    .await;
    assert!(
        callback.starts_with(&gateway(&format!(
            "{}/oauth/example/callback?",
            accounts().path
        ))),
        "the provider returns to the gateway: {callback}"
    );
    hop(&callback).await
}

#[tokio::test]
async fn a_provider_sign_in_through_the_gateway_ends_with_dayone_tokens() {
    let email = format!("oidc-{}@example.com", uuid::Uuid::new_v4().simple());
    let sub = uuid::Uuid::new_v4().simple().to_string();
    let landing = sign_in(&sub, &email, true).await;
    assert!(landing.starts_with(&gateway("/signed-in?")), "{landing}");
    let code = query_param(&landing, "code").unwrap();
    let tokens: Value = reqwest::Client::new()
        .post(gateway(&format!("{}/oauth/token", accounts().path)))
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let me: Value = reqwest::Client::new()
        .get(gateway(&format!("{}/me", accounts().path)))
        .header(
            AUTHORIZATION,
            format!("Bearer {}", tokens["access_token"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], email);

    // Someone else, at the same provider, with the same email unverified:
    // no way into the account.
    let landing = sign_in("intruder", &email, false).await;
    assert_eq!(
        query_param(&landing, "error").as_deref(),
        Some("email_not_verified")
    );
    assert!(query_param(&landing, "code").is_none());
}
