//! The jobs: list them, pause and resume them.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use dayone_web::ApiError;
use dayone_web::audit::AdminAct;
use dayone_web::auth::AuthenticatedUser;
use serde::Serialize;
use utoipa::ToSchema;

use super::runs::RunView;
use crate::entities::job;
use crate::jobs;
use crate::runs;
use crate::state::SchedulerState;

#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    pub name: String,
    pub schedule: String,
    pub timezone: String,
    pub task: String,
    pub paused: bool,
    pub overlap: String,
    pub catch_up: String,
    pub next_run_at: Option<DateTime<Utc>>,
    pub last_run: Option<RunView>,
}

async fn view(state: &SchedulerState, job: job::Model) -> Result<JobView, ApiError> {
    let last = runs::last(&state.db, &job).await?;
    Ok(JobView {
        next_run_at: jobs::next_run(&job),
        last_run: last.map(RunView::from),
        name: job.name,
        schedule: job.schedule,
        timezone: job.timezone,
        task: job.task,
        paused: job.paused,
        overlap: job.overlap,
        catch_up: job.catch_up,
    })
}

/// Every job with its next run and its last one (admins).
#[utoipa::path(get, path = "/v1/scheduler/jobs", tag = "scheduler", security(("bearer" = [])),
    responses((status = 200, description = "Jobs", body = Vec<JobView>), (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc)))]
pub async fn list(
    state: web::Data<SchedulerState>,
    user: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let jobs = jobs::all(&state.db).await?;
    let mut views = Vec::with_capacity(jobs.len());
    for job in jobs {
        views.push(view(&state, job).await?);
    }
    Ok(HttpResponse::Ok().json(views))
}

async fn set_paused(
    state: &SchedulerState,
    user: &AuthenticatedUser,
    name: &str,
    paused: bool,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let action = if paused { "job.pause" } else { "job.resume" };
    let act = AdminAct::new(user, action, name);
    let job = jobs::set_paused(&state.db, &state.outbox, name, paused, &act).await?;
    tracing::info!(job = %job.name, paused, "job pause state changed");
    Ok(HttpResponse::Ok().json(view(state, job).await?))
}

/// Stops a job firing until it is resumed (admins).
#[utoipa::path(post, path = "/v1/scheduler/jobs/{name}/pause", tag = "scheduler", security(("bearer" = [])),
    params(("name" = String, Path, description = "Job name")),
    responses((status = 200, description = "Paused", body = JobView), (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc), (status = 404, description = "No such job", body = dayone_web::error::ErrorDoc)))]
pub async fn pause(
    state: web::Data<SchedulerState>,
    user: AuthenticatedUser,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_paused(&state, &user, &name, true).await
}

/// Lets a paused job fire again from its next tick (admins).
#[utoipa::path(post, path = "/v1/scheduler/jobs/{name}/resume", tag = "scheduler", security(("bearer" = [])),
    params(("name" = String, Path, description = "Job name")),
    responses((status = 200, description = "Resumed", body = JobView), (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc), (status = 404, description = "No such job", body = dayone_web::error::ErrorDoc)))]
pub async fn resume(
    state: web::Data<SchedulerState>,
    user: AuthenticatedUser,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_paused(&state, &user, &name, false).await
}
