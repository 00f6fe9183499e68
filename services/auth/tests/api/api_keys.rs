//! API keys: admins make, list, rotate and revoke them; the secret is shown
//! once; a key works where its scopes allow and nowhere once revoked.

use std::time::Duration;

use dayone_model::Contract;
use dayone_model::messages::audit::AdminActed;
use dayone_model::services::queue_for;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{AuthApp, error_code, spawn_app};

async fn make_key(app: &AuthApp, admin: &str, scopes: &[&str]) -> Value {
    let made = app
        .send_as(
            Method::POST,
            "/v1/auth/api-keys",
            admin,
            Some(json!({"name": "billing", "scopes": scopes, "expires_in_days": 30})),
        )
        .await;
    assert_eq!(made.status(), 201);
    made.json().await.unwrap()
}

#[tokio::test]
async fn a_key_reads_users_with_its_scope_and_nothing_else() {
    let app = spawn_app().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let key = make_key(&app, &admin.tokens.access, &["users:read"]).await;
    let text = key["key_text"].as_str().unwrap();
    assert!(text.starts_with("dk_"), "{key}");
    assert_eq!(key["scopes"], json!(["users:read"]));

    let one = app.get_as(&format!("/v1/users/{}", user.uuid), text).await;
    assert_eq!(one.status(), 200);
    let one: Value = one.json().await.unwrap();
    assert_eq!(one["email"], user.email);
    let found = app
        .get_as(&format!("/v1/users?q={}", user.uuid), text)
        .await;
    assert_eq!(found.status(), 200);

    // Not a user: no account of its own, no admin powers beyond its scope.
    assert_eq!(
        error_code(app.get_as("/v1/auth/me", text).await).await,
        (403, "forbidden".into())
    );
    let disable = app
        .post_as(&format!("/v1/users/{}/disable", user.uuid), text)
        .await;
    assert_eq!(error_code(disable).await, (403, "forbidden".into()));
    // A key cannot make keys.
    let more = app
        .send_as(
            Method::POST,
            "/v1/auth/api-keys",
            text,
            Some(json!({"name": "x", "scopes": ["users:read"], "expires_in_days": 1})),
        )
        .await;
    assert_eq!(error_code(more).await, (403, "forbidden".into()));

    // Another scope does not read users.
    let sender = make_key(&app, &admin.tokens.access, &["notifications:send"]).await;
    let refused = app
        .get_as(
            &format!("/v1/users/{}", user.uuid),
            sender["key_text"].as_str().unwrap(),
        )
        .await;
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("users:read"),
        "{body}"
    );

    // A made-up secret for a real key id, and a key that is not one.
    let id = key["uuid"].as_str().unwrap().replace('-', "");
    for forged in [format!("dk_{id}_not-the-secret"), "dk_nonsense".into()] {
        let response = app
            .get_as(&format!("/v1/users/{}", user.uuid), &forged)
            .await;
        assert_eq!(
            error_code(response).await,
            (401, "invalid_token".into()),
            "{forged}"
        );
    }
}

#[tokio::test]
async fn rotation_and_revocation_end_the_old_secret_at_once() {
    let app = spawn_app().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let key = make_key(&app, &admin.tokens.access, &["users:read"]).await;
    let uuid = key["uuid"].as_str().unwrap();
    let old = key["key_text"].as_str().unwrap();
    let path = format!("/v1/users/{}", user.uuid);
    assert_eq!(app.get_as(&path, old).await.status(), 200);

    let rotated = app
        .post_as(
            &format!("/v1/auth/api-keys/{uuid}/rotate"),
            &admin.tokens.access,
        )
        .await;
    assert_eq!(rotated.status(), 200);
    let rotated: Value = rotated.json().await.unwrap();
    let new = rotated["key_text"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(rotated["uuid"], uuid);
    assert_eq!(error_code(app.get_as(&path, old).await).await.0, 401);
    assert_eq!(app.get_as(&path, new).await.status(), 200);

    // Listed without any secret, rotation recorded.
    let listed: Value = app
        .get_as("/v1/auth/api-keys", &admin.tokens.access)
        .await
        .json()
        .await
        .unwrap();
    let entry = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["uuid"] == uuid)
        .unwrap()
        .clone();
    assert!(entry.get("key_text").is_none(), "{entry}");
    assert!(!entry.to_string().contains(&new[40..]), "no secret listed");
    assert!(entry["rotated_at"].is_string());
    assert_eq!(entry["created_by"], admin.uuid.to_string());

    let revoked = app
        .send_as(
            Method::DELETE,
            &format!("/v1/auth/api-keys/{uuid}"),
            &admin.tokens.access,
            None,
        )
        .await;
    assert_eq!(revoked.status(), 204);
    assert_eq!(error_code(app.get_as(&path, new).await).await.0, 401);
    // Revoking again answers the same; a revoked key cannot be rotated.
    let again = app
        .send_as(
            Method::DELETE,
            &format!("/v1/auth/api-keys/{uuid}"),
            &admin.tokens.access,
            None,
        )
        .await;
    assert_eq!(again.status(), 204);
    let rotate = app
        .post_as(
            &format!("/v1/auth/api-keys/{uuid}/rotate"),
            &admin.tokens.access,
        )
        .await;
    assert_eq!(error_code(rotate).await, (409, "conflict".into()));

    // Each change is in the audit trail, once.
    let env = &app.env;
    let (_, queue) = queue_for(AdminActed::TYPE).expect("a queue for admin actions");
    for action in ["api_key.create", "api_key.rotate", "api_key.revoke"] {
        let event = env
            .stack
            .wait_for_message(&env.vhost, queue.name, Duration::from_secs(10), |m| {
                m["payload"]["action"] == action && m["payload"]["target"] == uuid
            })
            .await
            .unwrap_or_else(|| panic!("no {action} report"));
        assert_eq!(event["payload"]["actor_uuid"], admin.uuid.to_string());
    }
    let all = env.stack.peek(&env.vhost, queue.name).await.unwrap();
    assert_eq!(all.len(), 3, "{all:?}");
}

#[tokio::test]
async fn keys_are_for_admins_and_asked_for_properly() {
    let app = spawn_app().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let body = json!({"name": "x", "scopes": ["users:read"], "expires_in_days": 1});
    let by_user = app
        .send_as(
            Method::POST,
            "/v1/auth/api-keys",
            &user.tokens.access,
            Some(body),
        )
        .await;
    assert_eq!(error_code(by_user).await, (403, "forbidden".into()));
    assert_eq!(
        error_code(app.get_as("/v1/auth/api-keys", &user.tokens.access).await)
            .await
            .0,
        403
    );
    for (bad, field) in [
        (
            json!({"name": " ", "scopes": ["users:read"], "expires_in_days": 1}),
            "name",
        ),
        (
            json!({"name": "x", "scopes": [], "expires_in_days": 1}),
            "scopes",
        ),
        (
            json!({"name": "x", "scopes": ["root"], "expires_in_days": 1}),
            "root",
        ),
        (
            json!({"name": "x", "scopes": ["users:read"], "expires_in_days": 0}),
            "expires_in_days",
        ),
        (
            json!({"name": "x", "scopes": ["users:read"], "expires_in_days": 9999}),
            "expires_in_days",
        ),
    ] {
        let response = app
            .send_as(
                Method::POST,
                "/v1/auth/api-keys",
                &admin.tokens.access,
                Some(bad.clone()),
            )
            .await;
        // 422 from the checks, or validation_failed from the JSON's shape
        // (an unknown scope is not one of the schema's values).
        assert_eq!(response.status(), 422, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert!(body.to_string().contains(field), "{bad}: {body}");
    }
    let missing = app
        .send_as(
            Method::DELETE,
            &format!("/v1/auth/api-keys/{}", uuid::Uuid::new_v4()),
            &admin.tokens.access,
            None,
        )
        .await;
    assert_eq!(error_code(missing).await, (404, "not_found".into()));
}

#[tokio::test]
async fn live_keys_are_published_again_when_auth_starts() {
    let app = spawn_app().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let key = make_key(&app, &admin.tokens.access, &["users:read"]).await;
    let text = key["key_text"].as_str().unwrap();
    let uuid: uuid::Uuid = key["uuid"].as_str().unwrap().parse().unwrap();
    // Redis lost the grant (a restart without persistence).
    dayone_web::auth::api_keys::withdraw(&app.redis(), uuid)
        .await
        .unwrap();
    let path = format!("/v1/users/{}", user.uuid);
    assert_eq!(app.get_as(&path, text).await.status(), 401);
    // Another auth instance starts on the same database and Redis.
    let second = dayone_auth::Application::build(app.settings())
        .await
        .unwrap();
    let second_url = format!("http://127.0.0.1:{}{path}", second.port());
    tokio::spawn(second.run_until(std::future::pending()));
    let mut tries = 0;
    while app
        .client
        .get(&second_url)
        .bearer_auth(text)
        .send()
        .await
        .unwrap()
        .status()
        != 200
    {
        tries += 1;
        assert!(tries < 50, "the key was not published again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
