use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{CoreApp, spawn_app};

async fn search(app: &CoreApp, query: &str) -> Value {
    let response = app.get(&format!("/v1/search?{query}")).await;
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.unwrap()
}

async fn found_within(
    app: &CoreApp,
    query: &str,
    matches: impl Fn(&Value) -> bool,
    limit: Duration,
) -> Duration {
    let started = Instant::now();
    loop {
        if matches(&search(app, query).await) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "`{query}` did not match within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_product_created_through_the_api_is_searchable_within_two_seconds() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let started = Instant::now();
    let created = app
        .product(&admin, "Aeropress coffee maker", 3990, 7, "kitchen")
        .await;
    let uuid = created["uuid"].clone();
    found_within(
        &app,
        "q=aeropress",
        |r| {
            r["hits"]
                .as_array()
                .unwrap()
                .iter()
                .any(|h| h["uuid"] == uuid)
        },
        Duration::from_secs(2),
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn search_ranks_by_relevance_tolerates_typos_and_filters_with_facets() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.product(&admin, "Espresso cup", 1250, 10, "kitchen")
        .await;
    app.product(&admin, "Coffee grinder", 8900, 0, "kitchen")
        .await;
    app.product(&admin, "Espresso machine", 129_900, 2, "appliances")
        .await;
    let last = app
        .product(&admin, "Trail running shoes", 9900, 3, "sport")
        .await;
    found_within(&app, "q=trail", |r| r["total"] == 1, Duration::from_secs(2)).await;
    let _ = last;

    let results = search(&app, "q=espresso").await;
    let names: Vec<&str> = results["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.iter().all(|n| n.starts_with("Espresso")));
    assert!(results["hits"][0]["score"].as_f64().unwrap() > 0.0);

    for typo in ["espreso", "esspresso", "grindr", "runing shoes"] {
        let found = search(&app, &format!("q={typo}")).await;
        assert!(found["total"].as_u64().unwrap() >= 1, "{typo}");
    }

    let kitchen_in_stock = search(&app, "category=kitchen&in_stock=true").await;
    let names: Vec<&str> = kitchen_in_stock["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Espresso cup"]);
    let all = search(&app, "").await;
    assert_eq!(all["total"], 4);
    assert_eq!(
        all["facets"]["category"][0],
        json!({"value": "kitchen", "count": 2})
    );
    let bands: Vec<(String, u64)> = all["facets"]["price"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["value"].as_str().unwrap().to_owned(),
                b["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        bands,
        [
            ("0-10".into(), 0),
            ("10-50".into(), 1),
            ("50-100".into(), 2),
            ("100+".into(), 1)
        ]
    );
    assert_eq!(search(&app, "q=zzzyzzy").await["total"], 0);

    // A three-letter word with a typo.
    assert!(search(&app, "q=cpu").await["total"].as_u64().unwrap() >= 1);
    // No product has both words: the products with either, marked relaxed.
    let relaxed = search(&app, "q=trail%20grinder").await;
    assert_eq!(
        (relaxed["total"].as_u64(), &relaxed["relaxed"]),
        (Some(2), &json!(true))
    );
    assert_eq!(search(&app, "q=espresso%20cup").await["relaxed"], false);
    let nothing = search(&app, "q=zzzyzzy%20qqqxq").await;
    assert_eq!(
        (nothing["total"].as_u64(), &nothing["relaxed"]),
        (Some(0), &json!(false))
    );
}

#[tokio::test]
async fn changes_and_deletions_reach_the_index() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let product = app
        .product(&admin, "Copper kettle", 4500, 2, "kitchen")
        .await;
    let path = format!("/v1/products/{}", product["uuid"].as_str().unwrap());
    found_within(
        &app,
        "q=kettle",
        |r| r["total"] == 1,
        Duration::from_secs(2),
    )
    .await;

    app.send(
        Method::PATCH,
        &path,
        Some(&admin.token),
        Some(json!({"name": "Copper teakettle", "stock": 0})),
    )
    .await;
    found_within(
        &app,
        "q=kettle&in_stock=true",
        |r| r["total"] == 0,
        Duration::from_secs(2),
    )
    .await;
    found_within(
        &app,
        "q=teakettle",
        |r| r["total"] == 1,
        Duration::from_secs(2),
    )
    .await;

    app.send(Method::DELETE, &path, Some(&admin.token), None)
        .await;
    found_within(
        &app,
        "q=teakettle",
        |r| r["total"] == 0,
        Duration::from_secs(2),
    )
    .await;
}

#[tokio::test]
async fn bad_search_parameters_are_422() {
    let app = spawn_app().await;
    for query in [
        "limit=0",
        "limit=500",
        &format!("q={}", "a".repeat(201)),
        "offset=20000",
        "min_price_cents=-1",
    ] {
        assert_eq!(
            app.get(&format!("/v1/search?{query}")).await.status(),
            422,
            "{query}"
        );
    }
}
