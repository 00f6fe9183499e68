//! The admin API: list jobs, trigger, pause, resume, run history.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use dayone_model::BaseEntity;
use dayone_web::ApiError;
use dayone_web::auth::AuthenticatedUser;
use dayone_web::extractors::resource;
use dayone_web::paging::{Page, PageBounds};
use dayone_web::{dead_letters, openapi};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

use crate::consumers::QUEUES;
use crate::entities::job_run::RunStatus;
use crate::entities::{job, job_run};
use crate::jobs::Schedule;
use crate::runs::{self, Fired, Trigger};
use crate::state::SchedulerState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/v1/scheduler/jobs").get(list))
        .service(resource("/v1/scheduler/jobs/{name}/run").post(run))
        .service(resource("/v1/scheduler/jobs/{name}/pause").post(pause))
        .service(resource("/v1/scheduler/jobs/{name}/resume").post(resume))
        .service(resource("/v1/scheduler/jobs/{name}/runs").get(history))
        .service(resource("/v1/scheduler/openapi.json").get(openapi))
        .configure(dead_letters::configure(PREFIX, QUEUES));
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Dayone scheduler",
        description = "Cron jobs managed by the system: one run per tick across replicas."
    ),
    paths(list, run, pause, resume, history),
    components(schemas(dayone_web::error::ErrorDoc))
)]
pub struct ApiDoc;

async fn openapi() -> HttpResponse {
    openapi::response(ApiDoc::openapi(), PREFIX, QUEUES)
}

/// Where this service's routes live.
const PREFIX: &str = "/v1/scheduler";

#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    pub uuid: Uuid,
    pub scheduled_for: DateTime<Utc>,
    /// `schedule` or `manual`.
    pub trigger: String,
    pub status: RunStatus,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    pub error: Option<String>,
    pub worker: Option<String>,
    pub output: Option<serde_json::Value>,
}

impl From<job_run::Model> for RunView {
    fn from(r: job_run::Model) -> Self {
        Self {
            uuid: r.uuid,
            scheduled_for: r.scheduled_for,
            trigger: r.trigger,
            status: r.status,
            started_at: r.started_at,
            finished_at: r.finished_at,
            duration_ms: r.duration_ms,
            error: r.error,
            worker: r.worker,
            output: r.output,
        }
    }
}

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
    let last = job_run::Entity::active()
        .filter(job_run::Column::JobId.eq(job.id))
        .order_by_desc(job_run::Column::ScheduledFor)
        .one(&state.db)
        .await?;
    let next_run_at = if job.paused {
        None
    } else {
        Schedule::parse(&job.schedule, &job.timezone)
            .ok()
            .and_then(|s| s.next_after(Utc::now()))
    };
    Ok(JobView {
        next_run_at,
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

async fn find(state: &SchedulerState, name: &str) -> Result<job::Model, ApiError> {
    job::Entity::active()
        .filter(job::Column::Name.eq(name))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("job"))
}

/// Every job with its next run and its last one (admins).
#[utoipa::path(get, path = "/v1/scheduler/jobs", tag = "scheduler", security(("bearer" = [])),
    responses((status = 200, description = "Jobs", body = Vec<JobView>), (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc)))]
pub async fn list(
    state: web::Data<SchedulerState>,
    user: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let jobs = job::Entity::active()
        .order_by_asc(job::Column::Name)
        .all(&state.db)
        .await?;
    let mut views = Vec::with_capacity(jobs.len());
    for job in jobs {
        views.push(view(&state, job).await?);
    }
    Ok(HttpResponse::Ok().json(views))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Triggered {
    pub run_uuid: Uuid,
    pub status: RunStatus,
}

/// Runs a job now, whatever its schedule and pause (admins).
#[utoipa::path(post, path = "/v1/scheduler/jobs/{name}/run", tag = "scheduler", security(("bearer" = [])),
    params(("name" = String, Path, description = "Job name")),
    responses((status = 202, description = "Queued", body = Triggered), (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such job", body = dayone_web::error::ErrorDoc)))]
pub async fn run(
    state: web::Data<SchedulerState>,
    user: AuthenticatedUser,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let job = find(&state, &name).await?;
    match runs::fire(&state, &job, Utc::now(), Trigger::Manual).await? {
        Fired::Queued(run_uuid) => {
            tracing::info!(job = %job.name, run = %run_uuid, by = %user.user_uuid, "job triggered by hand");
            Ok(HttpResponse::Accepted().json(Triggered {
                run_uuid,
                status: RunStatus::Queued,
            }))
        }
        other => Err(ApiError::internal(anyhow::anyhow!(
            "a manual trigger was not queued: {other:?}"
        ))),
    }
}

async fn set_paused(
    state: &SchedulerState,
    user: &AuthenticatedUser,
    name: &str,
    paused: bool,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let job = find(state, name).await?;
    let mut model: job::ActiveModel = job.into();
    model.paused = Set(paused);
    if !paused {
        model.resumed_at = Set(Some(Utc::now()));
    }
    let job = model.update(&state.db).await?;
    tracing::info!(job = %job.name, paused, by = %user.user_uuid, "job pause state changed");
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

#[derive(Debug, Deserialize, IntoParams)]
pub struct Paging {
    /// 1 to 10,000.
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<u64>,
    /// 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunPage {
    pub items: Vec<RunView>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

/// A job's runs, newest first (admins).
#[utoipa::path(get, path = "/v1/scheduler/jobs/{name}/runs", tag = "scheduler", security(("bearer" = [])),
    params(("name" = String, Path, description = "Job name"), Paging),
    responses((status = 200, description = "Run history", body = RunPage), (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc), (status = 404, description = "No such job", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "`page` or `per_page` out of bounds", body = dayone_web::error::ErrorDoc)))]
pub async fn history(
    state: web::Data<SchedulerState>,
    user: AuthenticatedUser,
    name: web::Path<String>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let job = find(&state, &name).await?;
    let page = Page::checked(
        paging.page,
        paging.per_page,
        PageBounds {
            default_per_page: 50,
            max_per_page: 500,
        },
    )?;
    let query = job_run::Entity::active()
        .filter(job_run::Column::JobId.eq(job.id))
        .order_by_desc(job_run::Column::ScheduledFor);
    let total = query.clone().count(&state.db).await?;
    let runs = query
        .offset(page.offset())
        .limit(page.per_page)
        .all(&state.db)
        .await?;
    Ok(HttpResponse::Ok().json(RunPage {
        items: runs.into_iter().map(RunView::from).collect(),
        page: page.page,
        per_page: page.per_page,
        total,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_is_sound() {
        let doc = openapi::finish(ApiDoc::openapi(), PREFIX, QUEUES);
        assert_eq!(openapi::problems(&doc), Vec::<String>::new());
    }
}
