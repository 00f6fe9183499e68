//! Several scheduler processes on one database: every tick fires exactly
//! once, and a replica killed with `kill -9` loses no tick.

use std::time::Duration;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use dayone_test_support::eventually;
use dayone_test_support::process::ServiceProcess;

use crate::helpers::{job, jobs_yaml, runs, setup};

async fn sleep_until(t: DateTime<Utc>) {
    if let Ok(d) = (t - Utc::now()).to_std() {
        tokio::time::sleep(d).await;
    }
}

#[tokio::test]
async fn three_replicas_fire_every_tick_exactly_once_even_when_one_is_killed() {
    let setup = setup(
        &jobs_yaml(&[job(
            "heartbeat",
            "* * * * * *",
            "scheduler.noop",
            "overlap: allow, catch_up: none",
        )]),
        &[],
    )
    .await;
    let db = setup.prepared_db().await;
    let binary = env!("CARGO_BIN_EXE_scheduler");
    let lifetime = Duration::from_secs(90);
    let mut replicas = Vec::new();
    for n in 1..=3 {
        replicas.push(
            ServiceProcess::start(binary, &setup.env, &format!("scheduler-{n}"), lifetime).await,
        );
    }

    // Ten whole seconds once all three run; one dies in the middle.
    let first = Utc::now().duration_trunc(TimeDelta::seconds(1)).unwrap() + TimeDelta::seconds(2);
    let last = first + TimeDelta::seconds(9);
    sleep_until(first + TimeDelta::milliseconds(4500)).await;
    // There is no lease: whoever inserts a tick's row fires it. Kill the
    // replica that fired the latest tick, the closest thing to a leader.
    let latest = runs(&db, "heartbeat").await;
    let leader = latest.last().map(|r| r.fired_by.clone()).unwrap();
    let victim = replicas
        .iter()
        .position(|r| r.instance == leader)
        .unwrap_or_else(|| panic!("{leader} is not one of the replicas"));
    replicas[victim].kill9();
    eprintln!("killed {leader}");
    sleep_until(last + TimeDelta::seconds(2)).await;

    let window = |all: Vec<crate::helpers::Run>| -> Vec<crate::helpers::Run> {
        all.into_iter()
            .filter(|r| r.scheduled_for >= first && r.scheduled_for <= last)
            .collect()
    };
    let fired = window(runs(&db, "heartbeat").await);
    let ticks: Vec<DateTime<Utc>> = fired.iter().map(|r| r.scheduled_for).collect();
    let expected: Vec<DateTime<Utc>> = (0..10).map(|i| first + TimeDelta::seconds(i)).collect();
    assert_eq!(ticks, expected, "each of the ten ticks fired exactly once");
    let firers: std::collections::BTreeSet<&str> =
        fired.iter().map(|r| r.fired_by.as_str()).collect();
    eprintln!("ticks fired by {firers:?}");

    // Every run went through a worker and reported back.
    let finished = eventually(Duration::from_secs(20), || async {
        let fired = window(runs(&db, "heartbeat").await);
        fired
            .iter()
            .all(|r| r.status == "succeeded")
            .then_some(fired)
    })
    .await;
    let logs: Vec<String> = replicas
        .iter()
        .map(|r| r.log.display().to_string())
        .collect();
    let finished = finished.unwrap_or_else(|| panic!("not every run succeeded; logs: {logs:?}"));
    assert!(
        finished.iter().all(|r| r
            .worker
            .as_deref()
            .is_some_and(|w| w.starts_with("scheduler-"))),
        "{finished:?}"
    );
    for (n, replica) in replicas.iter_mut().enumerate() {
        assert_eq!(replica.is_running(), n != victim, "{}", replica.instance);
    }
    // The survivors fired the ticks after the kill.
    assert!(
        finished
            .iter()
            .filter(|r| r.scheduled_for > first + TimeDelta::seconds(5))
            .all(|r| r.fired_by != leader),
        "{finished:?}"
    );
}
