use std::collections::BTreeMap;

use dayone_model::messages::notifications::{Category, PushJob, Recipient};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{NotifyApp, User, spawn_app};

const IOS_TOKEN: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

fn android_token() -> String {
    format!("fcm-registration-{}", uuid::Uuid::new_v4().simple())
}

async fn register(app: &NotifyApp, user: &User, platform: &str, token: &str) -> reqwest::Response {
    app.send(
        Method::POST,
        "/v1/devices",
        &user.token,
        Some(json!({"platform": platform, "token": token})),
    )
    .await
}

fn job(user: &User) -> PushJob {
    PushJob {
        recipient: Recipient {
            user_uuid: Some(user.uuid),
            ..Default::default()
        },
        category: Category::Transactional,
        title: "Your order shipped".into(),
        body: "Order A-1001 is on its way.".into(),
        data: BTreeMap::from([("order".to_owned(), "A-1001".to_owned())]),
    }
}

#[tokio::test]
async fn a_push_reaches_ios_over_http2_and_android_over_fcm_v1() {
    let app = spawn_app().await;
    let user = app.user().await;
    let android = android_token();
    assert_eq!(register(&app, &user, "ios", IOS_TOKEN).await.status(), 201);
    assert_eq!(
        register(&app, &user, "android", &android).await.status(),
        201
    );

    let envelope = app.publish(job(&user)).await;

    let apns = app
        .received("apns", |r| r.path.ends_with(IOS_TOKEN), 1)
        .await;
    let apns = &apns[0];
    assert_eq!(apns.version, "HTTP/2.0");
    assert_eq!(
        apns.status, 200,
        "the fake verified the ES256 provider token"
    );
    assert_eq!(apns.headers["apns-topic"], "dev.dayone.app");
    assert_eq!(apns.headers["apns-push-type"], "alert");
    assert_eq!(apns.body["aps"]["alert"]["title"], "Your order shipped");
    assert_eq!(apns.body["order"], "A-1001");

    let fcm = app
        .received("fcm", |r| r.body["message"]["token"] == android.as_str(), 1)
        .await;
    let fcm = &fcm[0];
    assert_eq!(
        fcm.status, 200,
        "authorised with a token from the service-account exchange"
    );
    assert_eq!(fcm.path, "/v1/projects/dayone-dev/messages:send");
    assert_eq!(
        fcm.body["message"]["notification"]["body"],
        "Order A-1001 is on its way."
    );
    assert_eq!(fcm.body["message"]["data"]["order"], "A-1001");

    let status = app
        .status_when(envelope.id, &user.token, |s| s["status"] == "sent")
        .await;
    assert_eq!(status["deliveries"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_token_the_provider_reports_unregistered_is_removed() {
    let app = spawn_app().await;
    let user = app.user().await;
    let android = android_token();
    register(&app, &user, "ios", IOS_TOKEN).await;
    register(&app, &user, "android", &android).await;
    app.fake.unregister("apns", IOS_TOKEN);
    app.fake.unregister("fcm", &android);

    let envelope = app.publish(job(&user)).await;
    let status = app
        .status_when(envelope.id, &user.token, |s| s["status"] == "failed")
        .await;
    for delivery in status["deliveries"].as_array().unwrap() {
        assert!(
            delivery["last_error"]
                .as_str()
                .unwrap()
                .starts_with("device token rejected"),
            "{delivery}"
        );
    }
    let apns = app
        .received("apns", |r| r.path.ends_with(IOS_TOKEN), 1)
        .await;
    assert_eq!(apns[0].status, 410);
    let devices: Vec<Value> = app
        .send(Method::GET, "/v1/devices", &user.token, None)
        .await
        .json()
        .await
        .unwrap();
    assert!(devices.is_empty(), "{devices:?}");
}

#[tokio::test]
async fn a_user_without_devices_gets_no_push_and_no_retry() {
    let app = spawn_app().await;
    let user = app.user().await;
    let envelope = app.publish(job(&user)).await;
    let status = app
        .status_when(envelope.id, &user.token, |s| s["status"] == "failed")
        .await;
    assert!(status["deliveries"].as_array().unwrap().is_empty());
    assert!(app.fake.received("apns").is_empty() && app.fake.received("fcm").is_empty());
}
