//! The firing loop each replica runs. Every `tick_interval_ms` it reads the
//! live, unpaused jobs and fires the ticks that came due since the last it
//! saw (all replicas try; `runs::fire` lets one win). Ticks that went stale
//! while no replica ran are missed: the catch-up policy `once` fires the most
//! recent of them once, `none` fires none.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dayone_model::BaseEntity;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, DbErr, QueryFilter, Statement};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::entities::job;
use crate::jobs::{CatchUp, Schedule};
use crate::runs::{self, Trigger};
use crate::state::SchedulerState;

/// Where each job's schedule was last looked at, in this replica.
#[derive(Default)]
pub struct Cursor {
    seen: HashMap<i64, DateTime<Utc>>,
    schedules: HashMap<i64, (String, String, Schedule)>,
}

async fn last_scheduled(
    db: &impl ConnectionTrait,
    job: i64,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT max(scheduled_for) AS last FROM job_runs WHERE job_id = $1 AND trigger = 'schedule'",
            [job.into()],
        ))
        .await?;
    Ok(row.and_then(|r| {
        r.try_get::<Option<DateTime<Utc>>>("", "last")
            .ok()
            .flatten()
    }))
}

impl Cursor {
    fn schedule(&mut self, job: &job::Model) -> Option<Schedule> {
        let cached = self
            .schedules
            .get(&job.id)
            .filter(|(s, tz, _)| *s == job.schedule && *tz == job.timezone);
        if let Some((_, _, schedule)) = cached {
            return Some(schedule.clone());
        }
        match Schedule::parse(&job.schedule, &job.timezone) {
            Ok(schedule) => {
                self.schedules.insert(
                    job.id,
                    (job.schedule.clone(), job.timezone.clone(), schedule.clone()),
                );
                Some(schedule)
            }
            Err(error) => {
                tracing::error!(job = %job.name, error = %error, "unusable schedule");
                None
            }
        }
    }

    /// One pass: fires what came due for every job.
    pub async fn pass(
        &mut self,
        state: &SchedulerState,
        now: DateTime<Utc>,
        stale_after: Duration,
    ) -> Result<(), DbErr> {
        let jobs = job::Entity::active()
            .filter(job::Column::Paused.eq(false))
            .all(&state.db)
            .await?;
        for job in jobs {
            let Some(schedule) = self.schedule(&job) else {
                continue;
            };
            let since = match self.seen.get(&job.id) {
                Some(t) => *t,
                // First look: continue after the last fired tick of any
                // replica, or start from now (no catch-up before a job's
                // first run).
                None => last_scheduled(&state.db, job.id).await?.unwrap_or(now),
            };
            // Ticks while the job was paused were skipped on purpose.
            let since = since.max(job.resumed_at.unwrap_or(since).min(now));
            let due = schedule.due(since, now, 100_000);
            let Some(latest) = due.last().copied() else {
                self.seen.insert(job.id, since);
                continue;
            };
            // Ticks older than `stale_after` were missed (this replica and
            // every other was down or stuck); the rest are merely due.
            let stale = chrono::Duration::from_std(stale_after).unwrap_or_default();
            let (missed, mut fresh): (Vec<_>, Vec<_>) =
                due.iter().copied().partition(|t| now - *t > stale);
            if let Some(last_missed) = missed.last().copied() {
                if job.catch_up == CatchUp::Once.as_str() {
                    fresh.insert(0, last_missed);
                }
                tracing::info!(
                    job = %job.name,
                    missed = missed.len(),
                    catch_up = %job.catch_up,
                    "ticks were missed while no scheduler ran"
                );
            }
            for tick in fresh {
                runs::fire(state, &job, tick, Trigger::Schedule, None).await?;
            }
            self.seen.insert(job.id, latest);
        }
        Ok(())
    }
}

pub fn spawn(state: Arc<SchedulerState>, stop: CancellationToken) -> JoinHandle<()> {
    let every = Duration::from_millis(state.settings.tick_interval_ms.max(50));
    // A tick older than this when first seen counts as missed, not late.
    let stale_after = every * 4 + Duration::from_secs(1);
    tokio::spawn(async move {
        let mut cursor = Cursor::default();
        let mut passes = 0u64;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
            if let Err(error) = cursor.pass(&state, Utc::now(), stale_after).await {
                tracing::warn!(error = %error, "scheduler pass failed; trying again");
            }
            passes += 1;
            if passes.is_multiple_of(40) {
                match runs::mark_lost(&state.db).await {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(runs = n, "runs without a result marked lost"),
                    Err(error) => tracing::warn!(error = %error, "could not mark lost runs"),
                }
            }
        }
    })
}
