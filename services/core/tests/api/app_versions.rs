use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{CoreApp, json, spawn_app};

async fn check(app: &CoreApp, query: &str) -> (u16, Value) {
    json(app.get(&format!("/v1/app/version-check?{query}")).await).await
}

#[tokio::test]
async fn version_checks_follow_the_thresholds_in_redis_without_a_restart() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (status, before) = check(&app, "platform=ios&version=1.0.0").await;
    assert_eq!(status, 200);
    assert_eq!(
        before,
        json!({"hard_update": false, "soft_update": false, "latest_version": "1.0.0", "min_supported_version": "1.0.0", "update_url": "https://apps.apple.com/app/id0000000000"})
    );

    let policy = json!({"platform": "ios", "latest_version": "2.4.0", "min_supported_version": "2.0.0", "update_url": "https://apps.apple.com/app/id123"});
    assert_eq!(
        app.send(
            Method::PUT,
            "/v1/admin/app-versions",
            Some(&admin.token),
            Some(policy)
        )
        .await
        .status(),
        200
    );

    let (_, old) = check(&app, "platform=ios&version=1.9.9").await;
    assert_eq!(
        (old["hard_update"].as_bool(), old["soft_update"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(old["update_url"], "https://apps.apple.com/app/id123");
    let (_, behind) = check(&app, "platform=ios&version=2.1.0").await;
    assert_eq!(
        (
            behind["hard_update"].as_bool(),
            behind["soft_update"].as_bool()
        ),
        (Some(false), Some(true))
    );
    let (_, current) = check(&app, "platform=ios&version=2.10.0").await;
    assert_eq!(
        (
            current["hard_update"].as_bool(),
            current["soft_update"].as_bool()
        ),
        (Some(false), Some(false))
    );
    let (_, android) = check(&app, "platform=android&version=1.0.0").await;
    assert_eq!(android["latest_version"], "1.0.0", "per platform");
}

#[tokio::test]
async fn malformed_versions_and_platforms_are_422() {
    let app = spawn_app().await;
    for query in [
        "platform=ios&version=1.2",
        "platform=ios&version=one.two.three",
        "platform=ios&version=1.2.3-beta",
        "platform=windows&version=1.2.3",
        "platform=ios",
        "version=1.2.3",
    ] {
        let (status, body) = check(&app, query).await;
        assert_eq!(status, 422, "{query}");
        assert_eq!(body["code"], "validation_failed");
    }
}

#[tokio::test]
async fn an_inconsistent_policy_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for policy in [
        json!({"platform": "ios", "latest_version": "2.0.0", "min_supported_version": "2.1.0", "update_url": "https://x"}),
        json!({"platform": "ios", "latest_version": "2.0", "min_supported_version": "1.0.0", "update_url": "https://x"}),
        json!({"platform": "ios", "latest_version": "2.0.0", "min_supported_version": "1.0.0", "update_url": "ftp://x"}),
        json!({"platform": "web", "latest_version": "2.0.0", "min_supported_version": "1.0.0", "update_url": "https://x"}),
    ] {
        let response = app
            .send(
                Method::PUT,
                "/v1/admin/app-versions",
                Some(&admin.token),
                Some(policy.clone()),
            )
            .await;
        assert_eq!(response.status(), 422, "{policy}");
    }
}
