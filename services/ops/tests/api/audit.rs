use std::time::Duration;

use dayone_model::Envelope;
use dayone_model::messages::audit::AdminActed;
use dayone_test_support::eventually;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::spawn_app;

const AUDIT_QUEUE: &str = "ops.audit";

#[tokio::test]
async fn the_audit_log_is_for_admins_only() {
    let app = spawn_app().await;
    let anonymous = app.get("/v1/ops/audit").await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let user = app.issuer.user();
    let refused = app.get_as("/v1/ops/audit", &user.token).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let admin = app.issuer.admin();
    let page: Value = app
        .get_as("/v1/ops/audit", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["entries"], json!([]), "{page}");
    let bad = app.get_as("/v1/ops/audit?limit=0", &admin.token).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_reported_admin_action_is_logged_once_however_often_it_arrives() {
    let app = spawn_app().await;
    let admin = app.issuer.admin();
    // The admin signed in to the console once: that entry has their email.
    app.db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO audit_log (actor_uuid, actor_email, action, target, request_id, outcome)
             VALUES ($1, $2, 'console.sign_in', $2, 'r-0', 'done')",
            [admin.uuid.into(), admin.email.clone().into()],
        ))
        .await
        .unwrap();
    let target = Uuid::new_v4();
    let event = Envelope::new(AdminActed {
        actor_uuid: admin.uuid,
        action: "user.disable".into(),
        target: target.to_string(),
        request_id: "req-from-the-api".into(),
        service: "accounts".into(),
    });
    let body = serde_json::to_value(&event).unwrap();
    let env = &app.env;
    // Delivered twice (a redelivery after a lost ack looks just like this).
    for _ in 0..2 {
        env.stack
            .publish_to_queue(&env.vhost, AUDIT_QUEUE, &body)
            .await
            .unwrap();
    }
    let entries = eventually(Duration::from_secs(10), || async {
        let page: Value = app
            .get_as("/v1/ops/audit", &admin.token)
            .await
            .json()
            .await
            .unwrap();
        let entries = page["entries"].as_array().unwrap().clone();
        (entries.len() >= 2).then_some(entries)
    })
    .await
    .expect("the reported action reached the log");
    // Both copies were consumed before the second is judged a duplicate.
    env.stack
        .wait_for_queue_depth(&env.vhost, AUDIT_QUEUE, 0, Duration::from_secs(10))
        .await
        .unwrap();
    let page: Value = app
        .get_as("/v1/ops/audit", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    let reported: Vec<&Value> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "user.disable")
        .collect();
    assert_eq!(reported.len(), 1, "{entries:?}");
    let entry = reported[0];
    assert_eq!(entry["target"], target.to_string());
    assert_eq!(entry["service"], "accounts");
    assert_eq!(entry["request_id"], "req-from-the-api");
    assert_eq!(entry["actor_email"], admin.email.as_str());
    assert_eq!(entry["outcome"], "done");
    let at: chrono::DateTime<chrono::Utc> = entry["at"].as_str().unwrap().parse().unwrap();
    assert_eq!(at.timestamp_micros(), event.occurred_at.timestamp_micros());
}
