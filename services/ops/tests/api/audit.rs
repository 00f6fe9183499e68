use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

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
