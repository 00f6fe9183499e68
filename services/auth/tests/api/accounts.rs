use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{AuthApp, PASSWORD, User, error_code, spawn_app, unique_phone};

async fn patch(app: &AuthApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    app.send_as(Method::PATCH, path, token, Some(body)).await
}

fn user_path(user: &User) -> String {
    format!("/v1/users/{}", user.uuid)
}

#[tokio::test]
async fn a_user_changes_their_own_name_and_phone_and_the_change_is_announced() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let response = patch(
        &app,
        "/v1/auth/me",
        &user.tokens.access,
        json!({"name": "Grace Hopper"}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "Grace Hopper");

    // A new phone: a code to the new number, then the change.
    let phone = unique_phone();
    let asked = app
        .send_as(
            Method::POST,
            "/v1/auth/me/phone",
            &user.tokens.access,
            Some(json!({"phone": phone})),
        )
        .await;
    assert_eq!(asked.status(), 202);
    let code = app.sms_code(&phone, 0).await;
    let confirmed = app
        .send_as(
            Method::POST,
            "/v1/auth/me/phone/confirm",
            &user.tokens.access,
            Some(json!({"phone": phone, "code": code})),
        )
        .await;
    assert_eq!(confirmed.status(), 200);
    let body: Value = confirmed.json().await.unwrap();
    assert_eq!(
        (body["name"].as_str(), body["phone"].as_str()),
        (Some("Grace Hopper"), Some(phone.as_str()))
    );
    let updated = app
        .job("notification.user-events", |j| {
            j["type"] == "user.updated" && j["payload"]["phone"] == phone.as_str()
        })
        .await;
    assert_eq!(updated["payload"]["name"], "Grace Hopper");

    // null clears; a field left out stays.
    let cleared: Value = patch(
        &app,
        &user_path(&user),
        &user.tokens.access,
        json!({"phone": null}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(cleared["phone"], Value::Null);
    assert_eq!(cleared["name"], "Grace Hopper");
}

#[tokio::test]
async fn a_new_phone_takes_effect_only_with_the_code_sent_to_it() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let before = user.phone.clone();
    let phone = unique_phone();
    // Set directly, on either route: refused, nothing sent.
    for path in ["/v1/auth/me".to_owned(), user_path(&user)] {
        let direct = patch(&app, &path, &user.tokens.access, json!({"phone": phone})).await;
        assert_eq!(direct.status(), 422, "{path}");
        let body: Value = direct.json().await.unwrap();
        assert!(body["details"]["fields"]["phone"].is_array(), "{body}");
    }
    let me: Value = app
        .get_as("/v1/auth/me", &user.tokens.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["phone"].as_str(), before.as_deref());

    let asked = app
        .send_as(
            Method::POST,
            "/v1/auth/me/phone",
            &user.tokens.access,
            Some(json!({"phone": phone})),
        )
        .await;
    assert_eq!(asked.status(), 202);
    let code = app.sms_code(&phone, 0).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let confirm = |code: String| {
        let app = &app;
        let (token, phone) = (user.tokens.access.clone(), phone.clone());
        async move {
            app.send_as(
                Method::POST,
                "/v1/auth/me/phone/confirm",
                &token,
                Some(json!({"phone": phone, "code": code})),
            )
            .await
        }
    };
    assert_eq!(confirm(wrong.into()).await.status(), 422);
    // The code is for the change only: it logs nobody in.
    let login = app
        .post("/v1/auth/otp/verify", json!({"phone": phone, "code": code}))
        .await;
    assert_eq!(login.status(), 401);
    assert_eq!(confirm(code.clone()).await.status(), 200);
    // Used once.
    assert_eq!(confirm(code).await.status(), 422);
}

#[tokio::test]
async fn phone_changes_are_limited_per_account_and_a_taken_number_is_409() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let other = app.new_user().await;
    let ask = |phone: String| {
        let app = &app;
        let token = user.tokens.access.clone();
        async move {
            app.send_as(
                Method::POST,
                "/v1/auth/me/phone",
                &token,
                Some(json!({"phone": phone})),
            )
            .await
        }
    };
    let taken = ask(other.phone.clone().unwrap()).await;
    assert_eq!(error_code(taken).await, (409, "phone_taken".into()));
    let limit = app
        .settings()
        .common
        .throttles
        .limit("phone_change_per_account")
        .max;
    for _ in 0..limit {
        assert_eq!(ask(unique_phone()).await.status(), 202);
    }
    let refused = ask(unique_phone()).await;
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(error_code(refused).await, (429, "rate_limited".into()));
    // One SMS per accepted change, none for the refused one.
    assert_eq!(app.outbox_count("sms.transactional").await as u64, limit);
}

#[tokio::test]
async fn invalid_changes_are_422() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let bad = patch(
        &app,
        "/v1/auth/me",
        &user.tokens.access,
        json!({"name": "", "phone": "12"}),
    )
    .await;
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.unwrap();
    assert!(
        body["details"]["fields"]["name"].is_array()
            && body["details"]["fields"]["phone"].is_array()
    );
    let unknown = patch(
        &app,
        "/v1/auth/me",
        &user.tokens.access,
        json!({"email": "new@example.com"}),
    )
    .await;
    assert_eq!(unknown.status(), 422, "email changes are not accepted here");
}

#[tokio::test]
async fn a_user_reads_their_own_account_but_not_anyone_elses() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let other = app.new_user().await;
    assert_eq!(
        app.get_as(&user_path(&user), &user.tokens.access)
            .await
            .status(),
        200
    );
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"name": "x"}))),
        (Method::DELETE, None),
    ] {
        let response = app
            .send_as(
                method.clone(),
                &user_path(&other),
                &user.tokens.access,
                body,
            )
            .await;
        assert_eq!(
            error_code(response).await,
            (403, "forbidden".into()),
            "{method}"
        );
    }
    // A made-up id is "someone else" too: no hint whether it exists.
    let made_up = format!("/v1/users/{}", Uuid::new_v4());
    assert_eq!(
        app.get_as(&made_up, &user.tokens.access).await.status(),
        403
    );
    assert_eq!(app.get(&user_path(&user)).await.status(), 401);
}

#[tokio::test]
async fn an_admin_reads_and_changes_any_account_and_sees_404_for_none() {
    let app = spawn_app().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    assert_eq!(
        app.get_as(&user_path(&user), &admin.tokens.access)
            .await
            .status(),
        200
    );
    let renamed: Value = patch(
        &app,
        &user_path(&user),
        &admin.tokens.access,
        json!({"name": "Renamed"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(renamed["name"], "Renamed");
    let missing = app
        .get_as(
            &format!("/v1/users/{}", Uuid::new_v4()),
            &admin.tokens.access,
        )
        .await;
    assert_eq!(error_code(missing).await, (404, "not_found".into()));
}

#[tokio::test]
async fn only_an_admin_changes_roles_and_the_change_ends_the_targets_sessions() {
    let app = spawn_app().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let self_promotion = patch(
        &app,
        &user_path(&user),
        &user.tokens.access,
        json!({"roles": ["user", "admin"]}),
    )
    .await;
    assert_eq!(error_code(self_promotion).await, (403, "forbidden".into()));

    let bad = patch(
        &app,
        &user_path(&user),
        &admin.tokens.access,
        json!({"roles": ["admin", "root"]}),
    )
    .await;
    assert_eq!(bad.status(), 422);

    let promoted = patch(
        &app,
        &user_path(&user),
        &admin.tokens.access,
        json!({"roles": ["user", "admin"]}),
    )
    .await;
    assert_eq!(promoted.status(), 200);
    assert_eq!(
        app.get_as("/v1/auth/me", &user.tokens.access)
            .await
            .status(),
        401,
        "old token carried old roles"
    );
    let tokens = app.login(&user.email, PASSWORD).await;
    let me: Value = app
        .get_as("/v1/auth/me", &tokens.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["roles"], json!(["user", "admin"]));
}

#[tokio::test]
async fn deleting_an_account_ends_its_sessions_and_it_cannot_log_in() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let response = app
        .send_as(Method::DELETE, &user_path(&user), &user.tokens.access, None)
        .await;
    assert_eq!(response.status(), 204);
    assert_eq!(
        app.get_as("/v1/auth/me", &user.tokens.access)
            .await
            .status(),
        401
    );
    assert_eq!(
        error_code(app.login_response(&user.email, PASSWORD).await).await,
        (401, "invalid_credentials".into())
    );
    let deleted = app
        .job("notification.user-events", |j| j["type"] == "user.deleted")
        .await;
    assert_eq!(deleted["payload"]["user_uuid"], user.uuid.to_string());

    // An admin deletes someone else's account the same way.
    let admin = app.new_admin().await;
    let other = app.new_user().await;
    let response = app
        .send_as(
            Method::DELETE,
            &user_path(&other),
            &admin.tokens.access,
            None,
        )
        .await;
    assert_eq!(response.status(), 204);
    let again = app
        .send_as(
            Method::DELETE,
            &user_path(&other),
            &admin.tokens.access,
            None,
        )
        .await;
    assert_eq!(again.status(), 404);
}

async fn my_name(app: &AuthApp, user: &User) -> Option<String> {
    let response = app.get_as("/v1/auth/me", &user.tokens.access).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["name"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn me_is_answered_from_memory_and_any_change_to_the_row_reaches_it() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
    use std::time::{Duration, Instant};

    let app = spawn_app().await;
    let user = app.new_user().await;
    // The first read after the listener is up keeps the profile.
    tokio::time::sleep(Duration::from_millis(500)).await;
    my_name(&app, &user).await;

    // With the users table locked, a read that went to the database would
    // wait for the lock; the profile comes from memory.
    let lock = app.db.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let read = tokio::time::timeout(Duration::from_secs(3), my_name(&app, &user)).await;
    lock.rollback().await.unwrap();
    assert!(read.is_ok(), "GET /me waited for the locked users table");

    // A change made behind the service's back (an operator in psql) is seen
    // at once: the row's trigger announces it and the entry is dropped.
    app.db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE users SET name = 'Set in psql' WHERE uuid = $1",
            [user.uuid.into()],
        ))
        .await
        .unwrap();
    let started = Instant::now();
    while my_name(&app, &user).await.as_deref() != Some("Set in psql") {
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "GET /me still shows the old name"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A change through the API is seen by the very next read.
    let changed = patch(
        &app,
        "/v1/auth/me",
        &user.tokens.access,
        json!({"name": "Ada"}),
    )
    .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(my_name(&app, &user).await.as_deref(), Some("Ada"));
}

#[tokio::test]
async fn a_users_language_comes_from_registration_or_their_profile_and_is_announced() {
    let app = spawn_app().await;
    // Registration without a `locale` takes the request's Accept-Language.
    let email = crate::helpers::unique_email();
    let response = app
        .client
        .post(app.url("/v1/auth/register"))
        .header("accept-language", "pt-br;q=0.9, en;q=0.5")
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let registered: Value = response.json().await.unwrap();
    assert_eq!(registered["locale"], "pt-BR");
    let announced = app
        .job("notification.user-events", |j| {
            j["type"] == "user.registered" && j["payload"]["email"] == email.as_str()
        })
        .await;
    assert_eq!(announced["payload"]["locale"], "pt-BR");

    let user = app.new_user().await;
    let response = patch(
        &app,
        "/v1/auth/me",
        &user.tokens.access,
        json!({"locale": "de-at"}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["locale"], "de-AT");
    let updated = app
        .job("notification.user-events", |j| {
            j["type"] == "user.updated" && j["payload"]["locale"] == "de-AT"
        })
        .await;
    assert_eq!(updated["payload"]["user_uuid"], user.uuid.to_string());

    let response = patch(
        &app,
        "/v1/auth/me",
        &user.tokens.access,
        json!({"locale": "German"}),
    )
    .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(body["details"]["fields"]["locale"].is_array(), "{body}");
    let cleared: Value = patch(
        &app,
        "/v1/auth/me",
        &user.tokens.access,
        json!({"locale": null}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(cleared["locale"], Value::Null);
}
