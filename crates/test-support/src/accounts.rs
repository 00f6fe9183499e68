//! Users for tests of services that take auth's tokens: registered and
//! logged in through a running auth service (spawned by the test, or the
//! test stack's behind its gateway), admins promoted in its database as
//! `auth create-admin` would.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::app::TestApp;

pub const PASSWORD: &str = "correct horse battery staple";

/// A registered, logged-in user.
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

async fn login(auth: &TestApp, email: &str) -> String {
    login_at(&auth.client, &auth.address, email).await
}

pub async fn user(auth: &TestApp) -> User {
    let email = format!("u-{}@example.com", Uuid::new_v4().simple());
    let phone = format!("+1555{:07}", Uuid::new_v4().as_u128() % 10_000_000);
    let registered = register_at(
        &auth.client,
        &auth.address,
        json!({"email": email, "password": PASSWORD, "phone": phone, "name": "Nora"}),
    )
    .await;
    let token = login(auth, &email).await;
    User {
        uuid: registered["uuid"]
            .as_str()
            .and_then(|u| u.parse().ok())
            .expect("a uuid"),
        email,
        phone,
        token,
    }
}

pub async fn admin(auth: &TestApp) -> User {
    let user = user(auth).await;
    auth.db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE users SET roles = ARRAY['user','admin'] WHERE uuid = $1",
            [user.uuid.into()],
        ))
        .await
        .expect("promote to admin");
    let token = login(auth, &user.email).await;
    User { token, ..user }
}
