//! Users of the auth API: registered and logged in through a running auth
//! service (the test stack's, behind its gateway). Tests of the other
//! services are someone without it: [`crate::tokens::TestIssuer`].

use serde_json::{Value, json};
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple";

/// Someone with an access token.
#[derive(Debug, Clone)]
pub struct User {
    pub uuid: Uuid,
    pub email: String,
    pub phone: String,
    pub token: String,
}

/// Registers with `body` at the auth API under `base` (a spawned auth
/// service's address, or the gateway's URL); the 201 response's body.
pub async fn register_at(client: &reqwest::Client, base: &str, body: Value) -> Value {
    let response = client
        .post(format!("{base}/v1/auth/register"))
        .json(&body)
        .send()
        .await
        .expect("register request");
    assert_eq!(response.status(), 201, "registration failed");
    response.json().await.expect("register body")
}

/// Logs `email` in with [`PASSWORD`] at the auth API under `base`: the
/// access token.
pub async fn login_at(client: &reqwest::Client, base: &str, email: &str) -> String {
    let tokens: Value = client
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("login request")
        .json()
        .await
        .expect("login body");
    tokens["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}
