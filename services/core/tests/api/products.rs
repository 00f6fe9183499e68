use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{json, spawn_app};

#[tokio::test]
async fn admins_create_change_and_delete_products() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let created = app.product(&admin, "Teapot", 3400, 5, "kitchen").await;
    assert_eq!(created["price_cents"], 3400);
    assert_eq!(created["currency"], "EUR", "the default currency");
    assert!(created.get("id").is_none());
    let path = format!("/v1/products/{}", created["uuid"].as_str().unwrap());

    let (status, changed) = json(
        app.send(
            Method::PATCH,
            &path,
            Some(&admin.token),
            Some(json!({"price_cents": 2900, "stock": 0})),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            changed["price_cents"].as_i64(),
            changed["stock"].as_i64(),
            changed["name"].as_str()
        ),
        (Some(2900), Some(0), Some("Teapot"))
    );

    assert_eq!(
        app.send(Method::DELETE, &path, Some(&admin.token), None)
            .await
            .status(),
        204
    );
    assert_eq!(
        app.get(&path).await.status(),
        404,
        "deleted products are gone from the API"
    );
    assert_eq!(
        app.send(Method::DELETE, &path, Some(&admin.token), None)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn invalid_products_are_422_per_field() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (status, error) = json(
        app.send(Method::POST, "/v1/products", Some(&admin.token), Some(json!({"name": "", "price_cents": -5, "currency": "euro", "category": "Kitchen Stuff", "stock": -1})))
            .await,
    )
    .await;
    assert_eq!(status, 422);
    let fields: Vec<&String> = error["details"]["fields"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        fields,
        ["category", "currency", "name", "price_cents", "stock"]
    );
    let missing = app
        .send(
            Method::POST,
            "/v1/products",
            Some(&admin.token),
            Some(json!({"description": "no name"})),
        )
        .await;
    assert_eq!(missing.status(), 422);
    let unknown = app
        .send(
            Method::POST,
            "/v1/products",
            Some(&admin.token),
            Some(json!({"name": "x", "price_cents": 1, "colour": "red"})),
        )
        .await;
    assert_eq!(unknown.status(), 422);
}

#[tokio::test]
async fn v1_pages_filter_and_announce_their_successor() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for (i, (category, price, stock)) in [
        ("kitchen", 500, 1),
        ("kitchen", 2500, 0),
        ("garden", 9000, 4),
        ("kitchen", 12000, 2),
        ("garden", 300, 9),
    ]
    .iter()
    .enumerate()
    {
        app.product(&admin, &format!("Item {i}"), *price, *stock, category)
            .await;
    }
    let response = app
        .get("/v1/products?page=1&per_page=2&category=kitchen")
        .await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let page: Value = response.json().await.unwrap();
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["name"], "Item 3", "newest first");
    assert!(headers["deprecation"].to_str().unwrap().starts_with('@'));
    assert!(headers["sunset"].to_str().unwrap().ends_with("GMT"));
    assert_eq!(headers["link"], "</v2/products>; rel=\"successor-version\"");

    let filtered: Value = app
        .get("/v1/products?min_price_cents=1000&max_price_cents=10000&in_stock=true")
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = filtered["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Item 2"]);

    for bad in [
        "/v1/products?per_page=0",
        "/v1/products?per_page=101",
        "/v1/products?page=0",
        "/v1/products?min_price_cents=50&max_price_cents=10",
    ] {
        assert_eq!(app.get(bad).await.status(), 422, "{bad}");
    }
    assert_eq!(app.get("/v1/products?page=abc").await.status(), 400);
}

/// What PostgreSQL cannot store or count is refused by name, never a 500.
#[tokio::test]
async fn a_nul_or_an_overflowing_page_is_a_422_naming_the_parameter() {
    let app = spawn_app().await;
    let user = app.user().await;
    for (path, field) in [
        ("/v1/products?category=a%00b", "category"),
        ("/v2/products?category=a%00b", "category"),
        ("/v1/products?page=9223372036854775807&per_page=100", "page"),
        ("/v1/products?page=18446744073709551615", "page"),
        ("/v1/orders?page=9223372036854775807&per_page=100", "page"),
    ] {
        let response = app.send(Method::GET, path, Some(&user.token), None).await;
        let (status, body) = json(response).await;
        assert_eq!(status, 422, "{path}: {body}");
        assert_eq!(body["code"], "validation_failed", "{path}");
        assert!(
            body["details"]["fields"][field].is_array(),
            "{path}: {body}"
        );
    }
    let admin = app.admin().await;
    let response = app
        .send(
            Method::POST,
            "/v1/products",
            Some(&admin.token),
            Some(json!({"name": "Lamp\u{0}", "price_cents": 100, "stock": 1})),
        )
        .await;
    let (status, body) = json(response).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("validation_failed")),
        "{body}"
    );
    assert!(body["details"]["fields"]["name"].is_array(), "{body}");
}

#[tokio::test]
async fn v2_shows_money_as_amount_and_currency_and_pages_by_cursor() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let first = app.product(&admin, "Cup", 1250, 3, "kitchen").await;
    for i in 0..4 {
        app.product(&admin, &format!("Saucer {i}"), 305, 3, "kitchen")
            .await;
    }
    let one: Value = app
        .get(&format!("/v2/products/{}", first["uuid"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["price"], json!({"amount": "12.50", "currency": "EUR"}));
    assert!(one.get("price_cents").is_none());

    let mut seen = Vec::new();
    let mut url = "/v2/products?limit=2".to_owned();
    loop {
        let response = app.get(&url).await;
        assert!(
            response.headers().get("deprecation").is_none(),
            "v2 is current"
        );
        let page: Value = response.json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["name"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => url = format!("/v2/products?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5, "no product twice");
    assert_eq!(
        app.get("/v2/products?cursor=not-a-cursor").await.status(),
        422
    );
}
