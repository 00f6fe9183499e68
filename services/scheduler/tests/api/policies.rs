//! Overlap, catch-up after downtime, lost runs.

use std::time::Duration;

use chrono::{DurationRound, TimeDelta, Timelike, Utc};
use dayone_model::messages::tasks::TaskResult;
use dayone_scheduler::runs;
use dayone_test_support::{consistently, eventually};

use crate::helpers::{insert_run, job, jobs_yaml, runs as runs_of, setup};

#[tokio::test]
async fn a_tick_is_skipped_while_the_previous_run_is_still_going_unless_overlap_is_allowed() {
    let setup = setup(
        &jobs_yaml(&[
            job("careful", "* * * * * *", "scheduler.noop", "overlap: skip"),
            job("eager", "* * * * * *", "scheduler.noop", "overlap: allow"),
        ]),
        &[],
    )
    .await;
    let db = setup.prepared_db().await;
    // A run still going for each (queued an hour ago, timeout an hour).
    let earlier = Utc::now() - TimeDelta::hours(1);
    insert_run(&db, "careful", earlier, "manual", "queued").await;
    insert_run(&db, "eager", earlier, "manual", "queued").await;
    let app = setup.start().await;

    let skipped = eventually(Duration::from_secs(5), || async {
        let runs = runs_of(&app.db, "careful").await;
        (runs.iter().filter(|r| r.trigger == "schedule").count() >= 2).then_some(runs)
    })
    .await
    .expect("the careful job's ticks are recorded");
    for run in skipped.iter().filter(|r| r.trigger == "schedule") {
        assert_eq!(run.status, "skipped", "{run:?}");
    }
    let eager = eventually(Duration::from_secs(5), || async {
        let runs = runs_of(&app.db, "eager").await;
        runs.iter()
            .any(|r| r.trigger == "schedule" && r.status == "succeeded")
            .then_some(())
    })
    .await;
    assert!(eager.is_some(), "overlap: allow runs alongside");
}

#[tokio::test]
async fn after_downtime_catch_up_once_fires_the_latest_missed_tick_and_none_fires_nothing() {
    // Hourly jobs whose last run was five hours ago: five ticks were missed.
    // (Not across the top of an hour, where the tick would be due, not missed.)
    if Utc::now().minute() == 59 && Utc::now().second() >= 40 {
        tokio::time::sleep(Duration::from_secs(25)).await;
    }
    let setup = setup(
        &jobs_yaml(&[
            job(
                "hourly-once",
                "0 0 * * * *",
                "scheduler.noop",
                "catch_up: once",
            ),
            job(
                "hourly-none",
                "0 0 * * * *",
                "scheduler.noop",
                "catch_up: none",
            ),
        ]),
        &[],
    )
    .await;
    let db = setup.prepared_db().await;
    let hour = Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap();
    let long_ago = hour - TimeDelta::hours(5);
    insert_run(&db, "hourly-once", long_ago, "schedule", "succeeded").await;
    insert_run(&db, "hourly-none", long_ago, "schedule", "succeeded").await;
    let app = setup.start().await;

    let caught_up = eventually(Duration::from_secs(5), || async {
        let runs = runs_of(&app.db, "hourly-once").await;
        (runs.len() > 1).then_some(runs)
    })
    .await
    .expect("catch-up once fires");
    // Later passes (wrongly) firing more would show within a few ticks.
    let twice = consistently(Duration::from_millis(1500), || async {
        runs_of(&app.db, "hourly-once").await.len() == 2
    })
    .await;
    let once = runs_of(&app.db, "hourly-once").await;
    assert!(twice, "{once:?}");
    assert_eq!(caught_up[1].scheduled_for, hour, "the latest missed tick");
    assert!(once[1].fired_by.starts_with("scheduler-"));

    let none = runs_of(&app.db, "hourly-none").await;
    assert_eq!(none.len(), 1, "catch-up none fired {none:?}");
}

#[tokio::test]
async fn runs_without_a_result_are_marked_lost_and_a_late_result_still_counts() {
    let setup = setup(
        &jobs_yaml(&[job(
            "slow",
            "0 0 0 1 1 *",
            "scheduler.noop",
            "timeout_secs: 60",
        )]),
        &[],
    )
    .await;
    let db = setup.prepared_db().await;
    let app = setup.start().await;
    // Queued two minutes ago with a one-minute timeout; another still fresh.
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        "INSERT INTO job_runs (job_id, scheduled_for, trigger, status, fired_by, created_at) \
         SELECT id, now() - interval '2 minutes', 'schedule', 'queued', 'x', now() - interval '2 minutes' FROM jobs WHERE name = 'slow'; \
         INSERT INTO job_runs (job_id, scheduled_for, trigger, status, fired_by) \
         SELECT id, now(), 'manual', 'queued', 'x' FROM jobs WHERE name = 'slow'",
    )
    .await
    .unwrap();
    // (The ticker marks lost runs too, every 40 passes.)
    assert!(runs::mark_lost(&db).await.unwrap() <= 1);
    let all = runs_of(&db, "slow").await;
    assert_eq!(all[0].status, "lost");
    assert_eq!(all[1].status, "queued");

    // The worker was only slow: its report replaces `lost`.
    let now = Utc::now();
    let recorded = runs::record(
        &db,
        &TaskResult {
            run_uuid: all[0].uuid,
            task: "scheduler.noop".into(),
            succeeded: true,
            started_at: now - TimeDelta::seconds(100),
            finished_at: now,
            error: None,
            output: serde_json::json!({}),
            worker: "slow-worker".into(),
        },
    )
    .await
    .unwrap();
    assert!(recorded);
    let all = runs_of(&db, "slow").await;
    assert_eq!(all[0].status, "succeeded");
    assert_eq!(all[0].worker.as_deref(), Some("slow-worker"));
}
