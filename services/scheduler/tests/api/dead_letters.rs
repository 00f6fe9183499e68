//! The scheduler's dead letters: a task result that used up its retries
//! (PostgreSQL down when it arrived, say) is replayed by an admin into the
//! run history.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use dayone_model::Envelope;
use dayone_model::messages::tasks::TaskResult;
use dayone_test_support::eventually;
use serde_json::Value;

use crate::helpers::{insert_run, job, jobs_yaml, runs as runs_of, setup};

#[tokio::test]
async fn a_dead_lettered_task_result_is_replayed_into_the_run_history() {
    let setup = setup(
        &jobs_yaml(&[job("reported", "0 0 0 1 1 *", "scheduler.noop", "")]),
        &[],
    )
    .await;
    let db = setup.prepared_db().await;
    insert_run(&db, "reported", Utc::now(), "manual", "queued").await;
    let app = setup.start().await;
    let run = runs_of(&app.db, "reported").await.remove(0);
    let admin = app.admin().await;

    let now = Utc::now();
    let result = Envelope::new(TaskResult {
        run_uuid: run.uuid,
        task: "scheduler.noop".into(),
        succeeded: true,
        started_at: now - TimeDelta::seconds(2),
        finished_at: now,
        error: None,
        output: serde_json::json!({"checked": 3}),
        worker: "worker-from-the-outage".into(),
    });
    app.env
        .stack
        .publish_to_queue(
            &app.env.vhost,
            "scheduler.results.dlq",
            &serde_json::to_value(&result).unwrap(),
        )
        .await
        .unwrap();
    let waiting = eventually(Duration::from_secs(10), || async {
        let body: Value = app
            .get_as("/v1/scheduler/admin/dead-letters", &admin.token)
            .await
            .json()
            .await
            .ok()?;
        (body["dead_letters"]["scheduler.results"] == 1).then_some(())
    })
    .await;
    assert!(waiting.is_some(), "the dead letter is counted");

    let user = app.user().await;
    let refused = app
        .post(
            "/v1/scheduler/admin/dead-letters/scheduler.results/replay",
            &user.token,
        )
        .await;
    assert_eq!(refused.status(), 403);
    let replayed: Value = app
        .post(
            "/v1/scheduler/admin/dead-letters/scheduler.results/replay",
            &admin.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(replayed["replayed"], 1);
    let recorded = eventually(Duration::from_secs(10), || async {
        let run = runs_of(&app.db, "reported").await.remove(0);
        (run.status == "succeeded").then_some(run)
    })
    .await
    .expect("the replayed result reached the run history");
    assert_eq!(recorded.worker.as_deref(), Some("worker-from-the-outage"));

    // The scheduler's OpenAPI document lists the routes.
    let doc: Value = app
        .get("/v1/scheduler/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/v1/scheduler/admin/dead-letters/{queue}/replay"]["post"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}
