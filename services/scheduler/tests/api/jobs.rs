//! The admin API: listing, manual runs, pause and resume, the history.

use std::time::Duration;

use chrono::{Datelike, Timelike, Weekday};
use dayone_test_support::{consistently, eventually};
use serde_json::Value;

use crate::helpers::{job, jobs_yaml, runs, spawn_app};

#[tokio::test]
async fn only_admins_see_the_jobs_with_their_next_run() {
    let app = spawn_app(&jobs_yaml(&[job(
        "yearly",
        "0 0 0 1 1 *",
        "scheduler.noop",
        "",
    )]))
    .await;
    let doc: Value = app
        .get("/v1/scheduler/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    for path in [
        "/v1/scheduler/jobs",
        "/v1/scheduler/jobs/{name}/run",
        "/v1/scheduler/jobs/{name}/pause",
        "/v1/scheduler/jobs/{name}/resume",
        "/v1/scheduler/jobs/{name}/runs",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    let anonymous = app.get("/v1/scheduler/jobs").await;
    assert_eq!(anonymous.status(), 401);
    let user = app.user().await;
    let forbidden = app.get_as("/v1/scheduler/jobs", &user.token).await;
    assert_eq!(forbidden.status(), 403);
    assert_eq!(
        forbidden.json::<Value>().await.unwrap()["code"],
        "forbidden"
    );

    let admin = app.admin().await;
    let jobs: Vec<Value> = app
        .get_as("/v1/scheduler/jobs", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = jobs.iter().filter_map(|j| j["name"].as_str()).collect();
    for expected in [
        "auth-cleanup",
        "disk-space-check",
        "notification-cleanup",
        "queue-depth-check",
        "weekly-recommendations",
        "yearly",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let weekly = jobs
        .iter()
        .find(|j| j["name"] == "weekly-recommendations")
        .unwrap();
    assert_eq!(weekly["timezone"], "Europe/Berlin");
    assert_eq!(weekly["task"], "recommendations.weekly");
    // Mondays at 09:00 in Berlin: 08:00 UTC in winter, 07:00 in summer.
    let next: chrono::DateTime<chrono::Utc> =
        weekly["next_run_at"].as_str().unwrap().parse().unwrap();
    let berlin = next.with_timezone(&chrono_tz::Europe::Berlin);
    assert_eq!(
        (berlin.weekday(), berlin.hour(), berlin.minute()),
        (Weekday::Mon, 9, 0)
    );
}

#[tokio::test]
async fn a_manual_run_goes_through_a_worker_into_the_history() {
    let app = spawn_app(&jobs_yaml(&[
        job("yearly", "0 0 0 1 1 *", "scheduler.noop", ""),
        job("broken", "0 0 0 1 1 *", "scheduler.no-such-task", ""),
    ]))
    .await;
    let admin = app.admin().await;

    let run = app.run_now("yearly", &admin.token).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["trigger"], "manual");
    assert!(run["worker"].as_str().unwrap().starts_with("scheduler-"));
    assert_eq!(run["output"]["ok"], true);
    assert!(run["duration_ms"].as_i64().is_some());
    // Counted under the job's name: a `job` label would be renamed
    // `exported_job` by Prometheus, whose target label `job` wins.
    let metrics = app.metrics().await;
    for series in [
        r#"scheduler_runs_fired_total{job_name="yearly",trigger="manual"}"#,
        r#"scheduler_runs_finished_total{task="scheduler.noop",status="succeeded"}"#,
    ] {
        assert!(
            metrics.contains(series),
            "{series} missing from:\n{metrics}"
        );
    }

    // A task the worker refuses is a failed run with the reason.
    let failed = app.run_now("broken", &admin.token).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("does not run `scheduler.no-such-task`"),
        "{failed}"
    );

    // The history filters by status across all its pages, in the query.
    for (job, status, expected) in [
        ("broken", "failed", 1),
        ("broken", "succeeded", 0),
        ("yearly", "succeeded", 1),
        ("yearly", "failed", 0),
    ] {
        let page: Value = app
            .get_as(
                &format!("/v1/scheduler/jobs/{job}/runs?status={status}"),
                &admin.token,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["total"], expected, "{job} {status}: {page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.iter().all(|r| r["status"] == status), "{page}");
    }
    let bad_status = app
        .get_as(
            "/v1/scheduler/jobs/broken/runs?status=sideways",
            &admin.token,
        )
        .await;
    assert_eq!(bad_status.status(), 400);

    let missing = app
        .post("/v1/scheduler/jobs/no-such-job/run", &admin.token)
        .await;
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.json::<Value>().await.unwrap()["code"], "not_found");
    let bad_page = app
        .get_as("/v1/scheduler/jobs/yearly/runs?per_page=0", &admin.token)
        .await;
    assert_eq!(bad_page.status(), 422);

    let user = app.user().await;
    let forbidden = app.post("/v1/scheduler/jobs/yearly/run", &user.token).await;
    assert_eq!(forbidden.status(), 403);
}

#[tokio::test]
async fn a_paused_job_stops_firing_until_it_is_resumed() {
    let app = spawn_app(&jobs_yaml(&[job(
        "every-second",
        "* * * * * *",
        "scheduler.noop",
        "",
    )]))
    .await;
    let admin = app.admin().await;
    let fired = eventually(Duration::from_secs(5), || async {
        (runs(&app.db, "every-second").await.len() >= 2).then_some(())
    })
    .await;
    assert!(fired.is_some(), "an every-second job fires");

    let paused: Value = app
        .post("/v1/scheduler/jobs/every-second/pause", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(paused["paused"], true);
    assert!(paused["next_run_at"].is_null());
    // A pass already under way may still fire one tick.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = runs(&app.db, "every-second").await.len();
    let still = consistently(Duration::from_millis(2500), || async {
        runs(&app.db, "every-second").await.len() == before
    })
    .await;
    assert!(still, "a paused job fired");

    let resumed = app
        .post("/v1/scheduler/jobs/every-second/resume", &admin.token)
        .await;
    assert_eq!(resumed.status(), 200);
    let fired_again = eventually(Duration::from_secs(5), || async {
        (runs(&app.db, "every-second").await.len() > before).then_some(())
    })
    .await;
    assert!(fired_again.is_some(), "a resumed job fires again");
    // Resuming does not replay the ticks missed while paused.
    let all = runs(&app.db, "every-second").await;
    assert!(
        all.len() <= before + 3,
        "{} runs after resuming",
        all.len() - before
    );
    let succeeded = eventually(Duration::from_secs(10), || async {
        let all = runs(&app.db, "every-second").await;
        let done = all.iter().filter(|r| r.status == "succeeded").count();
        (done >= before).then_some(done)
    })
    .await;
    assert!(succeeded.is_some(), "the scheduled runs report success");
}
