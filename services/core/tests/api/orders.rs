use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{CoreApp, json, spawn_app};

async fn stock(app: &CoreApp, product: &Value) -> i64 {
    let current: Value = app
        .get(&format!(
            "/v1/products/{}",
            product["uuid"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    current["stock"].as_i64().unwrap()
}

#[tokio::test]
async fn placing_an_order_reserves_stock_and_writes_the_event_and_the_receipt_job() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let cup = app.product(&admin, "Cup", 1250, 5, "kitchen").await;
    let pot = app.product(&admin, "Pot", 3400, 1, "kitchen").await;

    let response = app.order(&user, json!([{"product_uuid": cup["uuid"], "quantity": 2}, {"product_uuid": pot["uuid"], "quantity": 1}])).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let order: Value = response.json().await.unwrap();
    assert_eq!(order["status"], "placed");
    assert_eq!(order["total_cents"], 2 * 1250 + 3400);
    assert!(order["number"].as_str().unwrap().starts_with("DAY-"));
    assert_eq!(
        location,
        format!("/v1/orders/{}", order["uuid"].as_str().unwrap())
    );
    assert_eq!((stock(&app, &cup).await, stock(&app, &pot).await), (3, 0));

    let receipt = dayone_test_support::eventually(std::time::Duration::from_secs(10), || async {
        app.jobs("notification.email")
            .await
            .into_iter()
            .find(|j| j["payload"]["template"] == "order_receipt")
    })
    .await
    .expect("the receipt job");
    assert_eq!(
        receipt["payload"]["recipient"]["user_uuid"],
        user.uuid.to_string()
    );
    assert_eq!(receipt["payload"]["order"]["number"], order["number"]);
    assert_eq!(receipt["payload"]["order"]["total"], "€59.00");
    let placed: i64 = sea_orm::ConnectionTrait::query_one_raw(
        &app.db,
        sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*) AS n FROM outbox_messages WHERE routing_key = 'order.placed'",
        ),
    )
    .await
    .unwrap()
    .unwrap()
    .try_get("", "n")
    .unwrap();
    assert_eq!(placed, 1);
}

#[tokio::test]
async fn not_enough_stock_is_a_409_that_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let cup = app.product(&admin, "Cup", 1250, 1, "kitchen").await;
    let pot = app.product(&admin, "Pot", 3400, 5, "kitchen").await;
    let (status, error) = json(app.order(&user, json!([{"product_uuid": pot["uuid"], "quantity": 1}, {"product_uuid": cup["uuid"], "quantity": 2}])).await).await;
    assert_eq!(status, 409);
    assert_eq!(error["code"], "insufficient_stock");
    assert_eq!(error["details"]["items"][0]["available"], 1);
    assert_eq!(
        stock(&app, &pot).await,
        5,
        "the other line was not reserved either"
    );
}

#[tokio::test]
async fn bad_order_requests_are_422() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let cup = app.product(&admin, "Cup", 1250, 5, "kitchen").await;
    for items in [
        json!([]),
        json!([{"product_uuid": cup["uuid"], "quantity": 0}]),
        json!([{"product_uuid": cup["uuid"], "quantity": 101}]),
        json!([{"product_uuid": uuid::Uuid::new_v4(), "quantity": 1}]),
        json!([{"product_uuid": "nope", "quantity": 1}]),
    ] {
        let response = app.order(&user, items.clone()).await;
        assert_eq!(response.status(), 422, "{items}");
    }
    assert_eq!(
        app.send(Method::POST, "/v1/orders", None, Some(json!({"items": []})))
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn an_idempotency_key_makes_a_retry_return_the_first_order() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let cup = app.product(&admin, "Cup", 1250, 10, "kitchen").await;
    let body = json!({"items": [{"product_uuid": cup["uuid"], "quantity": 3}]});
    let post = |key: &'static str, body: Value| {
        let app = &app;
        let token = user.token.clone();
        async move {
            app.client
                .post(app.url("/v1/orders"))
                .bearer_auth(token)
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let first = post("checkout-42", body.clone()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let retry = post("checkout-42", body.clone()).await;
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry["uuid"], first["uuid"]);
    assert_eq!(stock(&app, &cup).await, 7, "reserved once");

    let other = post(
        "checkout-42",
        json!({"items": [{"product_uuid": cup["uuid"], "quantity": 1}]}),
    )
    .await;
    let (status, error) = json(other).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );
    assert_eq!(stock(&app, &cup).await, 7);
}

#[tokio::test]
async fn concurrent_retries_with_one_key_place_one_order() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let cup = app.product(&admin, "Cup", 1250, 10, "kitchen").await;
    let body = json!({"items": [{"product_uuid": cup["uuid"], "quantity": 1}]});
    let requests = (0..5).map(|_| {
        app.client
            .post(app.url("/v1/orders"))
            .bearer_auth(&user.token)
            .header("idempotency-key", "double-click")
            .json(&body)
            .send()
    });
    let responses = futures_util::future::join_all(requests).await;
    let mut uuids = Vec::new();
    for response in responses {
        let response = response.unwrap();
        assert_eq!(response.status(), 201);
        let order: Value = response.json().await.unwrap();
        uuids.push(order["uuid"].as_str().unwrap().to_owned());
    }
    uuids.dedup();
    assert_eq!(uuids.len(), 1);
    assert_eq!(stock(&app, &cup).await, 9);
}

#[tokio::test]
async fn cancelling_releases_the_stock_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let cup = app.product(&admin, "Cup", 1250, 4, "kitchen").await;
    let order: Value = app
        .order(&user, json!([{"product_uuid": cup["uuid"], "quantity": 3}]))
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/v1/orders/{}/cancel", order["uuid"].as_str().unwrap());
    let (status, cancelled) =
        json(app.send(Method::POST, &path, Some(&user.token), None).await).await;
    assert_eq!(status, 200);
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["cancelled_at"].is_string());
    assert_eq!(stock(&app, &cup).await, 4);
    let (status, error) = json(app.send(Method::POST, &path, Some(&user.token), None).await).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (409, Some("not_cancellable"))
    );
    assert_eq!(stock(&app, &cup).await, 4, "not released twice");
}

#[tokio::test]
async fn users_list_their_own_orders() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let alice = app.user().await;
    let bob = app.user().await;
    let cup = app.product(&admin, "Cup", 1250, 10, "kitchen").await;
    for _ in 0..2 {
        app.order(
            &alice,
            json!([{"product_uuid": cup["uuid"], "quantity": 1}]),
        )
        .await;
    }
    app.order(&bob, json!([{"product_uuid": cup["uuid"], "quantity": 1}]))
        .await;
    let page: Value = app
        .send(Method::GET, "/v1/orders", Some(&alice.token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"][0]["items"][0]["name"], "Cup");
}
