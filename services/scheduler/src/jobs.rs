//! Job definitions: declared here (the built-ins) or in a YAML file named by
//! `scheduler.extra_jobs_path`, and written to the `jobs` table at start so
//! the admin API lists them. Whether a job is paused lives only in the
//! table, so a pause survives restarts and deployments.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds};
use dayone_broker::Outbox;
use dayone_model::BaseEntity;
use dayone_model::messages::tasks::{TASK_PREFIX, routing_key};
use dayone_model::services::SERVICES;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    QueryFilter, QueryOrder, Set, Statement, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use dayone_web::audit::AdminAct;

use crate::entities::job;
use crate::error::SchedulerError;

/// Skip a tick while the job's previous run is still going, or run anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Overlap {
    Skip,
    Allow,
}

impl Overlap {
    /// The name in job files and the `jobs.overlap` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Skip => "skip",
            Self::Allow => "allow",
        }
    }
}

/// After downtime, fire the most recent missed tick once, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CatchUp {
    Once,
    None,
}

impl CatchUp {
    /// The name in job files and the `jobs.catch_up` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Once => "once",
            Self::None => "none",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct JobSpec {
    pub name: String,
    /// Cron with optional seconds: `0 0 9 * * Mon`, `*/5 * * * *`.
    pub schedule: String,
    /// IANA time zone the schedule is read in.
    #[serde(default = "utc")]
    pub timezone: String,
    /// The task published: routing key `task.<task>`.
    pub task: String,
    #[serde(default = "skip")]
    pub overlap: Overlap,
    #[serde(default = "once")]
    pub catch_up: CatchUp,
    /// A run with no result after this long is recorded as lost.
    #[serde(default = "hour")]
    pub timeout_secs: i32,
}

fn utc() -> String {
    "UTC".into()
}
fn skip() -> Overlap {
    Overlap::Skip
}
fn once() -> CatchUp {
    CatchUp::Once
}
fn hour() -> i32 {
    3600
}

fn spec(name: &str, schedule: &str, timezone: &str, task: &str) -> JobSpec {
    JobSpec {
        name: name.into(),
        schedule: schedule.into(),
        timezone: timezone.into(),
        task: task.into(),
        overlap: skip(),
        catch_up: once(),
        timeout_secs: hour(),
    }
}

/// The jobs every deployment has.
pub fn built_in() -> Vec<JobSpec> {
    vec![
        spec(
            "weekly-recommendations",
            "0 0 9 * * Mon",
            "Europe/Berlin",
            "recommendations.weekly",
        ),
        spec("auth-cleanup", "0 30 3 * * *", "UTC", "auth.cleanup"),
        spec(
            "notification-cleanup",
            "0 45 3 * * *",
            "UTC",
            "notification.cleanup",
        ),
        spec(
            "disk-space-check",
            "0 */5 * * * *",
            "UTC",
            "scheduler.disk-check",
        ),
        spec(
            "queue-depth-check",
            "0 * * * * *",
            "UTC",
            "scheduler.queue-depth-check",
        ),
    ]
}

/// A parsed schedule in its time zone.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    tz: Tz,
}

impl Schedule {
    pub fn parse(expression: &str, timezone: &str) -> Result<Self, String> {
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .build()
            .parse(expression)
            .map_err(|e| format!("`{expression}` is not a cron expression: {e}"))?;
        let tz =
            Tz::from_str(timezone).map_err(|_| format!("`{timezone}` is not an IANA time zone"))?;
        Ok(Self { cron, tz })
    }

    /// The first tick strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&after.with_timezone(&self.tz), false)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// Ticks in `(after, until]`, oldest first, at most `limit`.
    pub fn due(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Vec<DateTime<Utc>> {
        let mut ticks = Vec::new();
        let mut cursor = after;
        while ticks.len() < limit {
            match self.next_after(cursor) {
                Some(t) if t <= until => {
                    ticks.push(t);
                    cursor = t;
                }
                _ => break,
            }
        }
        ticks
    }
}

/// Whether some service of services.toml runs `task` (its `tasks` prefix:
/// routing keys `task.<prefix>.*`).
fn routed(task: &str) -> bool {
    let key = routing_key(task);
    SERVICES.iter().filter_map(|s| s.tasks).any(|prefix| {
        key.strip_prefix(TASK_PREFIX)
            .and_then(|rest| rest.strip_prefix(prefix))
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|name| !name.is_empty())
    })
}

/// The built-ins plus the file's jobs, each checked.
pub fn load(extra_path: &str) -> anyhow::Result<Vec<JobSpec>> {
    let mut jobs = built_in();
    if !extra_path.is_empty() {
        #[derive(Deserialize)]
        struct File {
            jobs: Vec<JobSpec>,
        }
        let file: File = config::Config::builder()
            .add_source(config::File::new(extra_path, config::FileFormat::Yaml))
            .build()
            .and_then(config::Config::try_deserialize)
            .map_err(|e| anyhow::anyhow!("scheduler.extra_jobs_path {extra_path}: {e}"))?;
        jobs.extend(file.jobs);
    }
    let mut names = std::collections::HashSet::new();
    for job in &jobs {
        Schedule::parse(&job.schedule, &job.timezone)
            .map_err(|e| anyhow::anyhow!("job `{}`: {e}", job.name))?;
        anyhow::ensure!(
            routed(&job.task),
            "job `{}`: no service runs `{}` (task names start with scheduler., auth., notification. or recommendations.)",
            job.name,
            job.task
        );
        anyhow::ensure!(
            job.timeout_secs > 0,
            "job `{}`: timeout_secs must be positive",
            job.name
        );
        anyhow::ensure!(
            names.insert(&job.name),
            "job `{}` is defined twice",
            job.name
        );
    }
    Ok(jobs)
}

/// Writes the definitions to `jobs` (keeping `paused`).
pub async fn sync(db: &DatabaseConnection, jobs: &[JobSpec]) -> Result<(), DbErr> {
    for job in jobs {
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO jobs (name, schedule, timezone, task, paused, overlap, catch_up, timeout_secs) \
             VALUES ($1, $2, $3, $4, false, $5, $6, $7) \
             ON CONFLICT (name) DO UPDATE SET schedule = EXCLUDED.schedule, timezone = EXCLUDED.timezone, \
               task = EXCLUDED.task, overlap = EXCLUDED.overlap, catch_up = EXCLUDED.catch_up, \
               timeout_secs = EXCLUDED.timeout_secs, deleted_at = NULL",
            [
                job.name.clone().into(),
                job.schedule.clone().into(),
                job.timezone.clone().into(),
                job.task.clone().into(),
                job.overlap.as_str().into(),
                job.catch_up.as_str().into(),
                job.timeout_secs.into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// Every job, by name.
pub async fn all(db: &DatabaseConnection) -> Result<Vec<job::Model>, DbErr> {
    job::Entity::active()
        .order_by_asc(job::Column::Name)
        .all(db)
        .await
}

/// The job called `name`.
pub async fn find(db: &DatabaseConnection, name: &str) -> Result<job::Model, SchedulerError> {
    job::Entity::active()
        .filter(job::Column::Name.eq(name))
        .one(db)
        .await?
        .ok_or(SchedulerError::JobNotFound)
}

/// Pauses the job called `name`, or resumes it (it fires again from its
/// next tick: missed ones before `resumed_at` are not caught up).
pub async fn set_paused(
    db: &DatabaseConnection,
    outbox: &Outbox,
    name: &str,
    paused: bool,
    act: &AdminAct,
) -> Result<job::Model, SchedulerError> {
    let job = find(db, name).await?;
    let mut model: job::ActiveModel = job.into();
    model.paused = Set(paused);
    if !paused {
        model.resumed_at = Set(Some(Utc::now()));
    }
    let txn = db.begin().await?;
    let job = model.update(&txn).await?;
    act.record(&txn, outbox).await?;
    txn.commit().await?;
    outbox.wake();
    Ok(job)
}

/// When `job` fires next (never while it is paused).
pub fn next_run(job: &job::Model) -> Option<DateTime<Utc>> {
    if job.paused {
        return None;
    }
    Schedule::parse(&job.schedule, &job.timezone)
        .ok()
        .and_then(|s| s.next_after(Utc::now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_names_are_the_job_file_names() {
        for overlap in [Overlap::Skip, Overlap::Allow] {
            assert_eq!(serde_json::to_value(overlap).unwrap(), overlap.as_str());
        }
        for catch_up in [CatchUp::Once, CatchUp::None] {
            assert_eq!(serde_json::to_value(catch_up).unwrap(), catch_up.as_str());
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn schedules_are_read_in_their_time_zone() {
        // 09:00 in Berlin on a Monday in winter is 08:00 UTC.
        let weekly = Schedule::parse("0 0 9 * * Mon", "Europe/Berlin").unwrap();
        assert_eq!(
            weekly.next_after(at("2026-11-25T12:00:00Z")),
            Some(at("2026-11-30T08:00:00Z"))
        );
        let every_second = Schedule::parse("* * * * * *", "UTC").unwrap();
        let due = every_second.due(
            at("2026-11-25T12:00:00Z"),
            at("2026-11-25T12:00:03.5Z"),
            100,
        );
        assert_eq!(
            due,
            [
                at("2026-11-25T12:00:01Z"),
                at("2026-11-25T12:00:02Z"),
                at("2026-11-25T12:00:03Z")
            ]
        );
    }

    #[test]
    fn bad_expressions_and_zones_are_refused() {
        assert!(Schedule::parse("every day", "UTC").is_err());
        assert!(Schedule::parse("0 9 * * *", "Mars/Olympus").is_err());
        assert!(
            Schedule::parse("0 9 * * *", "UTC").is_ok(),
            "five fields, no seconds"
        );
    }

    #[test]
    fn tasks_no_service_runs_are_refused() {
        assert!(routed("auth.cleanup"));
        assert!(routed("recommendations.weekly"));
        assert!(!routed("billing.invoices"));
        assert!(!routed("auth."));
    }

    #[test]
    fn the_built_in_jobs_parse() {
        for job in built_in() {
            assert!(
                Schedule::parse(&job.schedule, &job.timezone).is_ok(),
                "{}",
                job.name
            );
        }
    }
}
