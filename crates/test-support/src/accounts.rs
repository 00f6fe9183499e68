//! Users for tests of services that take auth's tokens: registered and
//! logged in through a running auth service (spawned by the test), admins
//! promoted in its database as `auth create-admin` would.

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

async fn login(auth: &TestApp, email: &str) -> String {
    let tokens: Value = auth
        .client
        .post(auth.url("/v1/auth/login"))
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

pub async fn user(auth: &TestApp) -> User {
    let email = format!("u-{}@example.com", Uuid::new_v4().simple());
    let phone = format!("+1555{:07}", Uuid::new_v4().as_u128() % 10_000_000);
    let response = auth
        .client
        .post(auth.url("/v1/auth/register"))
        .json(&json!({"email": email, "password": PASSWORD, "phone": phone, "name": "Nora"}))
        .send()
        .await
        .expect("register request");
    assert_eq!(response.status(), 201, "registration failed");
    let registered: Value = response.json().await.expect("register body");
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
