//! The weekly recommendations task, requested over the broker as the
//! scheduler requests it.

use std::time::Duration;

use chrono::Utc;
use dayone_broker::topology::EVENTS_EXCHANGE;
use dayone_broker::{Broker, Outgoing};
use dayone_core::Settings;
use dayone_model::Envelope;
use dayone_model::messages::tasks::{TaskRequested, routing_key};
use dayone_test_support::{config_dir, eventually};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{CoreApp, spawn_app};

async fn publisher(app: &CoreApp) -> Broker {
    let settings: Settings =
        dayone_web::settings::load_with("core", &config_dir(), app.env.vars.clone()).unwrap();
    let broker = Broker::start(settings.common.broker.clone(), &[], "test");
    broker
        .wait_connected(Duration::from_secs(10))
        .await
        .unwrap();
    broker
}

async fn request(broker: &Broker, run: Uuid) {
    let task = "recommendations.weekly";
    let envelope = Envelope {
        id: Uuid::now_v7(),
        kind: routing_key(task),
        version: 1,
        occurred_at: Utc::now(),
        payload: TaskRequested {
            run_uuid: run,
            job: "weekly-recommendations".into(),
            task: task.into(),
            scheduled_for: Utc::now(),
            manual: true,
        },
    };
    let body = serde_json::to_vec(&envelope).unwrap();
    broker
        .publish_raw(Outgoing {
            exchange: EVENTS_EXCHANGE,
            routing_key: &envelope.kind,
            message_id: &envelope.id.to_string(),
            kind: &envelope.kind,
            body: &body,
            headers: &[],
        })
        .await
        .unwrap();
}

/// The worker's report of `run` (from the scheduler's results queue).
async fn result(app: &CoreApp, run: Uuid, nth: usize) -> Value {
    eventually(Duration::from_secs(15), || async {
        let results: Vec<Value> = app
            .jobs("scheduler.results")
            .await
            .into_iter()
            .filter(|m| m["payload"]["run_uuid"] == run.to_string())
            .collect();
        results.get(nth).map(|m| m["payload"].clone())
    })
    .await
    .unwrap_or_else(|| panic!("no result #{nth} for run {run}"))
}

async fn recommendation_jobs(app: &CoreApp) -> Vec<Value> {
    app.jobs("notification.email")
        .await
        .into_iter()
        .filter(|j| j["payload"]["template"] == "weekly_recommendations")
        .map(|j| j["payload"].clone())
        .collect()
}

#[tokio::test]
async fn buyers_get_unbought_in_stock_products_from_their_categories_once_per_run() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let buyer = app.user().await;
    let browser = app.user().await;
    let novel = app.product(&admin, "Novel", 1500, 10, "books").await;
    let atlas = app.product(&admin, "Atlas", 4000, 3, "books").await;
    app.product(&admin, "Sold-out Poems", 900, 0, "books").await;
    app.product(&admin, "Rake", 2500, 5, "garden").await;
    let bestseller = app.product(&admin, "Cookbook", 2000, 50, "books").await;
    // Someone else makes the cookbook this month's best seller.
    let other = app.user().await;
    assert_eq!(
        app.order(
            &other,
            json!([{"product_uuid": bestseller["uuid"], "quantity": 3}])
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        app.order(
            &buyer,
            json!([{"product_uuid": novel["uuid"], "quantity": 1}])
        )
        .await
        .status(),
        201
    );

    let broker = publisher(&app).await;
    let run = Uuid::new_v4();
    request(&broker, run).await;
    let report = result(&app, run, 0).await;
    assert_eq!(report["succeeded"], true, "{report}");
    assert_eq!(report["task"], "recommendations.weekly");
    assert_eq!(report["output"]["buyers"], 2);
    assert_eq!(report["output"]["emails_queued"], 2);

    let jobs = eventually(Duration::from_secs(10), || async {
        let jobs = recommendation_jobs(&app).await;
        (jobs.len() == 2).then_some(jobs)
    })
    .await
    .expect("two recommendation emails");
    let mine = jobs
        .iter()
        .find(|j| j["recipient"]["user_uuid"] == buyer.uuid.to_string())
        .expect("the buyer's email");
    let names: Vec<&str> = mine["products"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    // Best seller first; never what they bought, what is sold out, or
    // another category.
    assert_eq!(names, ["Cookbook", "Atlas"]);
    assert_eq!(mine["products"][1]["price"], "€40.00");
    assert_eq!(mine["products"][1]["uuid"], atlas["uuid"]);
    assert!(
        jobs.iter()
            .all(|j| j["recipient"]["user_uuid"] != browser.uuid.to_string()),
        "someone who bought nothing gets nothing"
    );

    // The same request again (a redelivery) queues nothing more.
    request(&broker, run).await;
    let again = result(&app, run, 1).await;
    assert_eq!(again["output"]["emails_queued"], 0, "{again}");
    assert_eq!(again["output"]["already_queued"], 2);
    // A new run (next week) sends again.
    let next = Uuid::new_v4();
    request(&broker, next).await;
    assert_eq!(result(&app, next, 0).await["output"]["emails_queued"], 2);
    let all = eventually(Duration::from_secs(10), || async {
        let jobs = recommendation_jobs(&app).await;
        (jobs.len() == 4).then_some(jobs)
    })
    .await;
    assert!(all.is_some(), "the next run's emails");
}
