//! Object-level and function-level authorisation: a user reaches only
//! their own orders, by any endpoint, and no admin route.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn user_a_can_neither_read_nor_cancel_user_bs_orders() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let a = app.user().await;
    let b = app.user().await;
    let cup = app.product(&admin, "Cup", 1250, 10, "kitchen").await;
    let b_order: Value = app
        .order(&b, json!([{"product_uuid": cup["uuid"], "quantity": 1}]))
        .await
        .json()
        .await
        .unwrap();
    let id = b_order["uuid"].as_str().unwrap();

    for (method, path) in [
        (Method::GET, format!("/v1/orders/{id}")),
        (Method::POST, format!("/v1/orders/{id}/cancel")),
    ] {
        let response = app.send(method.clone(), &path, Some(&a.token), None).await;
        assert_eq!(
            response.status(),
            404,
            "{method} {path} for someone else's order"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "not_found");
    }
    let a_list: Value = app
        .send(Method::GET, "/v1/orders", Some(&a.token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a_list["total"], 0, "B's order is not in A's list");

    // B's order is untouched, and B and an admin still see it.
    let own: Value = app
        .send(
            Method::GET,
            &format!("/v1/orders/{id}"),
            Some(&b.token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["status"], "placed");
    assert_eq!(
        app.send(
            Method::GET,
            &format!("/v1/orders/{id}"),
            Some(&admin.token),
            None
        )
        .await
        .status(),
        200
    );
    // Without a token: 401, not 404.
    assert_eq!(
        app.send(Method::GET, &format!("/v1/orders/{id}"), None, None)
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn a_plain_user_gets_403_on_every_admin_route() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let cup = app.product(&admin, "Cup", 1250, 10, "kitchen").await;
    let product = format!("/v1/products/{}", cup["uuid"].as_str().unwrap());
    let versions = json!({"platform": "ios", "latest_version": "9.9.9", "min_supported_version": "9.0.0", "update_url": "https://example.com"});
    for (method, path, body) in [
        (
            Method::POST,
            "/v1/products".to_owned(),
            Some(json!({"name": "x", "price_cents": 1})),
        ),
        (
            Method::PATCH,
            product.clone(),
            Some(json!({"price_cents": 1})),
        ),
        (Method::DELETE, product.clone(), None),
        (
            Method::PUT,
            "/v1/admin/app-versions".to_owned(),
            Some(versions.clone()),
        ),
    ] {
        let response = app
            .send(method.clone(), &path, Some(&user.token), body.clone())
            .await;
        assert_eq!(response.status(), 403, "{method} {path}");
        let anonymous = app.send(method.clone(), &path, None, body).await;
        assert_eq!(anonymous.status(), 401, "{method} {path} without a token");
    }
    let still: Value = app.get(&product).await.json().await.unwrap();
    assert_eq!(still["price_cents"], 1250, "nothing changed");
}
