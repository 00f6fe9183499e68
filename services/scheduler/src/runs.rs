//! Firing runs and recording their outcomes.
//!
//! A tick fires at most once however many replicas see it: the run row's
//! unique (job, tick) key decides which replica publishes, and the task
//! message is written to the outbox in the same transaction, so a replica
//! that dies after inserting leaves a message that any other replica's
//! relay publishes, and one that dies before leaves the tick to the others.

use chrono::{DateTime, Utc};
use dayone_model::messages::tasks::{TaskRequested, TaskResult, routing_key};
use dayone_model::{BaseEntity, Envelope};
use dayone_web::paging::Page;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait,
};
use uuid::Uuid;

use crate::entities::job_run::RunStatus;
use dayone_web::audit::AdminAct;

use crate::entities::{job, job_run};
use crate::error::SchedulerError;
use crate::jobs::Overlap;
use crate::state::SchedulerState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    Manual,
}

/// What firing a tick did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fired {
    /// This replica fired it: the run and its task message exist.
    Queued(Uuid),
    /// The previous run is still going (overlap `skip`): recorded, not sent.
    Skipped(Uuid),
    /// Another replica fired this tick first.
    AlreadyFired,
}

/// Fires `job` for `tick` (`act`: the admin who asked, for the audit log).
pub async fn fire(
    state: &SchedulerState,
    job: &job::Model,
    tick: DateTime<Utc>,
    trigger: Trigger,
    act: Option<&AdminAct>,
) -> Result<Fired, DbErr> {
    let txn = state.db.begin().await?;
    let trigger_name = match trigger {
        Trigger::Schedule => "schedule",
        Trigger::Manual => "manual",
    };
    let inserted = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO job_runs (job_id, scheduled_for, trigger, status, fired_by) VALUES ($1, $2, $3, 'queued', $4) \
             ON CONFLICT (job_id, scheduled_for) DO NOTHING RETURNING id, uuid",
            [job.id.into(), tick.into(), trigger_name.into(), state.instance.clone().into()],
        ))
        .await?;
    let Some(row) = inserted else {
        return Ok(Fired::AlreadyFired);
    };
    let (run_id, run_uuid): (i64, Uuid) = (row.try_get("", "id")?, row.try_get("", "uuid")?);

    if trigger == Trigger::Schedule && job.overlap == Overlap::Skip.as_str() {
        let busy = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT 1 AS busy FROM job_runs WHERE job_id = $1 AND id <> $2 AND status IN ('queued', 'running') \
                 AND created_at > now() - make_interval(secs => $3) LIMIT 1",
                [job.id.into(), run_id.into(), f64::from(job.timeout_secs).into()],
            ))
            .await?;
        if busy.is_some() {
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE job_runs SET status = 'skipped', error = 'the previous run was still going' WHERE id = $1",
                [run_id.into()],
            ))
            .await?;
            txn.commit().await?;
            tracing::info!(job = %job.name, tick = %tick, "tick skipped: the previous run is still going");
            return Ok(Fired::Skipped(run_uuid));
        }
    }

    let kind = routing_key(&job.task);
    let envelope = Envelope {
        id: Uuid::now_v7(),
        kind: kind.clone(),
        version: 1,
        occurred_at: Utc::now(),
        payload: TaskRequested {
            run_uuid,
            job: job.name.clone(),
            task: job.task.clone(),
            scheduled_for: tick,
            manual: trigger == Trigger::Manual,
        },
    };
    let body = serde_json::to_value(&envelope).map_err(|e| DbErr::Custom(e.to_string()))?;
    state
        .outbox
        .enqueue_raw(&txn, &kind, &body, envelope.id)
        .await?;
    if let Some(act) = act {
        act.record(&txn, &state.outbox).await?;
    }
    txn.commit().await?;
    state.outbox.wake();
    metrics::counter!("scheduler_runs_fired_total", "job_name" => job.name.clone(), "trigger" => trigger_name).increment(1);
    tracing::info!(job = %job.name, tick = %tick, run = %run_uuid, trigger = trigger_name, "job fired");
    Ok(Fired::Queued(run_uuid))
}

/// Runs `job` now, whatever its schedule and pause: the new run's id.
pub async fn trigger(
    state: &SchedulerState,
    job: &job::Model,
    act: &AdminAct,
) -> Result<Uuid, SchedulerError> {
    match fire(state, job, Utc::now(), Trigger::Manual, Some(act)).await? {
        Fired::Queued(run_uuid) => Ok(run_uuid),
        other => Err(SchedulerError::NotQueued(format!("{other:?}"))),
    }
}

/// The latest run of `job`.
pub async fn last(
    db: &DatabaseConnection,
    job: &job::Model,
) -> Result<Option<job_run::Model>, DbErr> {
    job_run::Entity::active()
        .filter(job_run::Column::JobId.eq(job.id))
        .order_by_desc(job_run::Column::ScheduledFor)
        .one(db)
        .await
}

/// A page of `job`'s runs, newest first, and how many there are.
pub async fn history(
    db: &DatabaseConnection,
    job: &job::Model,
    page: Page,
    status: Option<RunStatus>,
) -> Result<(Vec<job_run::Model>, u64), DbErr> {
    let mut query = job_run::Entity::active()
        .filter(job_run::Column::JobId.eq(job.id))
        .order_by_desc(job_run::Column::ScheduledFor);
    if let Some(status) = status {
        query = query.filter(job_run::Column::Status.eq(status));
    }
    let total = query.clone().count(db).await?;
    let runs = query
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?;
    Ok((runs, total))
}

/// Records a worker's report on a run (idempotent: the same report twice
/// writes the same values).
pub async fn record(db: &impl ConnectionTrait, result: &TaskResult) -> Result<bool, DbErr> {
    let duration_ms = (result.finished_at - result.started_at).num_milliseconds();
    let status = if result.succeeded {
        RunStatus::Succeeded
    } else {
        RunStatus::Failed
    }
    .as_str();
    let updated = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE job_runs SET status = $2, started_at = $3, finished_at = $4, duration_ms = $5, error = $6, \
             worker = $7, output = $8 WHERE uuid = $1 AND status IN ('queued', 'running', 'lost')",
            [
                result.run_uuid.into(),
                status.into(),
                result.started_at.into(),
                result.finished_at.into(),
                duration_ms.into(),
                result.error.clone().into(),
                result.worker.clone().into(),
                result.output.clone().into(),
            ],
        ))
        .await?;
    metrics::counter!("scheduler_runs_finished_total", "task" => result.task.clone(), "status" => status).increment(1);
    Ok(updated.rows_affected() == 1)
}

/// Runs that never reported within their job's timeout become `lost`.
pub async fn mark_lost(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "UPDATE job_runs r SET status = 'lost', error = 'no result within the timeout' FROM jobs j \
             WHERE r.job_id = j.id AND r.status IN ('queued', 'running') \
               AND r.created_at < now() - make_interval(secs => j.timeout_secs) \
             RETURNING j.task",
        ))
        .await?;
    for row in &rows {
        let task: String = row.try_get("", "task")?;
        metrics::counter!("scheduler_runs_finished_total", "task" => task, "status" => "lost")
            .increment(1);
    }
    Ok(rows.len() as u64)
}
