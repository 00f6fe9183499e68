//! What admins do to accounts over the API: find them, disable and enable
//! them, list and end their sessions.

use std::time::Duration;

use dayone_model::Contract;
use dayone_model::messages::audit::AdminActed;
use dayone_model::services::queue_for;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{PASSWORD, error_code, spawn_app};

#[tokio::test]
async fn admins_find_accounts_by_email_phone_name_or_id() {
    let app = spawn_app().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let phone = user.phone.clone().unwrap();
    let prefix = &user.email[..user.email.find('@').unwrap()];
    for q in [prefix.to_uppercase(), phone, user.uuid.to_string()] {
        let response = app
            .get_as(
                &format!("/v1/users?q={}", q.replace('+', "%2B")),
                &admin.tokens.access,
            )
            .await;
        assert_eq!(response.status(), 200, "{q}");
        let page: Value = response.json().await.unwrap();
        assert_eq!(page["total"], 1, "{q}: {page}");
        assert_eq!(page["items"][0]["uuid"], user.uuid.to_string());
        assert_eq!(page["items"][0]["disabled"], false);
    }
    // LIKE's wildcards are plain characters in a query.
    let wild: Value = app
        .get_as("/v1/users?q=%25", &admin.tokens.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(wild["total"], 0, "{wild}");
    assert_eq!(
        error_code(app.get_as("/v1/users?q=", &admin.tokens.access).await).await,
        (422, "validation_failed".into())
    );
    assert_eq!(
        app.get_as(&format!("/v1/users?q={}", user.uuid), &user.tokens.access)
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn a_disabled_account_loses_its_sessions_and_cannot_sign_in_until_enabled() {
    let app = spawn_app().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    assert_eq!(
        app.get_as("/v1/auth/me", &user.tokens.access)
            .await
            .status(),
        200
    );

    let disabled = app
        .post_as(
            &format!("/v1/users/{}/disable", user.uuid),
            &admin.tokens.access,
        )
        .await;
    assert_eq!(disabled.status(), 200);
    let disabled: Value = disabled.json().await.unwrap();
    assert_eq!(disabled["disabled"], true);
    // Its session ended: the token it held is refused, and so is a refresh.
    assert_eq!(
        app.get_as("/v1/auth/me", &user.tokens.access)
            .await
            .status(),
        401
    );
    let refreshed = app
        .post(
            "/v1/auth/refresh",
            serde_json::json!({"refresh_token": user.tokens.refresh}),
        )
        .await;
    assert_eq!(refreshed.status(), 401);
    // The right password is told the account is disabled; a wrong one is
    // told only that it is wrong.
    assert_eq!(
        error_code(app.login_response(&user.email, PASSWORD).await).await,
        (403, "account_disabled".into())
    );
    assert_eq!(
        error_code(app.login_response(&user.email, "not the password").await).await,
        (401, "invalid_credentials".into())
    );

    let enabled = app
        .post_as(
            &format!("/v1/users/{}/enable", user.uuid),
            &admin.tokens.access,
        )
        .await;
    assert_eq!(enabled.status(), 200);
    assert_eq!(
        app.login_response(&user.email, PASSWORD).await.status(),
        200
    );

    // Only admins, and never their own account.
    assert_eq!(
        app.post_as(
            &format!("/v1/users/{}/disable", admin.uuid),
            &user.tokens.access
        )
        .await
        .status(),
        401,
        "the user's old token ended with the session"
    );
    let fresh = app.login(&user.email, PASSWORD).await;
    assert_eq!(
        app.post_as(&format!("/v1/users/{}/disable", admin.uuid), &fresh.access)
            .await
            .status(),
        403
    );
    assert_eq!(
        app.post_as(
            &format!("/v1/users/{}/disable", admin.uuid),
            &admin.tokens.access
        )
        .await
        .status(),
        403
    );
}

#[tokio::test]
async fn admins_list_and_end_an_accounts_sessions() {
    let app = spawn_app().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let second = app.login(&user.email, PASSWORD).await;
    let sessions: Value = app
        .get_as(
            &format!("/v1/users/{}/sessions", user.uuid),
            &admin.tokens.access,
        )
        .await
        .json()
        .await
        .unwrap();
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    // End one of them; the other still works.
    let first_id = sessions[0]["id"].as_str().unwrap().to_owned();
    let ended = app
        .send_as(
            Method::DELETE,
            &format!("/v1/users/{}/sessions/{first_id}", user.uuid),
            &admin.tokens.access,
            None,
        )
        .await;
    assert_eq!(ended.status(), 204);
    let left: Value = app
        .get_as(
            &format!("/v1/users/{}/sessions", user.uuid),
            &admin.tokens.access,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(left.as_array().unwrap().len(), 1);
    let alive = [
        app.get_as("/v1/auth/me", &user.tokens.access)
            .await
            .status(),
        app.get_as("/v1/auth/me", &second.access).await.status(),
    ];
    assert_eq!(alive.iter().filter(|s| **s == 200).count(), 1, "{alive:?}");
    let again = app
        .send_as(
            Method::DELETE,
            &format!("/v1/users/{}/sessions/{first_id}", user.uuid),
            &admin.tokens.access,
            None,
        )
        .await;
    assert_eq!(again.status(), 404);
}

#[tokio::test]
async fn what_an_admin_does_to_other_accounts_is_reported_for_the_audit_log_and_nothing_else() {
    let app = spawn_app().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let admin_token = &admin.tokens.access;
    // The user's own change is not an admin action.
    let own = app
        .send_as(
            Method::PATCH,
            "/v1/auth/me",
            &user.tokens.access,
            Some(serde_json::json!({"name": "Own Change"})),
        )
        .await;
    assert_eq!(own.status(), 200);
    let path = format!("/v1/users/{}", user.uuid);
    let renamed = app
        .send_as(
            Method::PATCH,
            &path,
            admin_token,
            Some(serde_json::json!({"name": "By An Admin"})),
        )
        .await;
    assert_eq!(renamed.status(), 200);
    let disabled = app.post_as(&format!("{path}/disable"), admin_token).await;
    assert_eq!(disabled.status(), 200);

    let env = &app.env;
    let (_, queue) = queue_for(AdminActed::TYPE).expect("a queue for admin actions");
    let audit_queue = queue.name;
    let reported = |action: &'static str| {
        let target = user.uuid.to_string();
        move |m: &Value| m["payload"]["action"] == action && m["payload"]["target"] == target
    };
    for action in ["user.update", "user.disable"] {
        let event = env
            .stack
            .wait_for_message(
                &env.vhost,
                audit_queue,
                Duration::from_secs(10),
                reported(action),
            )
            .await
            .unwrap_or_else(|| panic!("no {action} report"));
        assert_eq!(event["type"], "audit.admin-acted");
        assert_eq!(event["payload"]["actor_uuid"], admin.uuid.to_string());
        assert_eq!(event["payload"]["service"], "auth");
    }
    let all = env.stack.peek(&env.vhost, audit_queue).await.unwrap();
    assert_eq!(all.len(), 2, "{all:?}");
}
