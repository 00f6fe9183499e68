//! A job's runs: trigger one by hand, page through the history.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use dayone_web::ApiError;
use dayone_web::audit::AdminAct;
use dayone_web::auth::AuthenticatedUser;
use dayone_web::paging::{Page, PageBounds};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::entities::job_run;
use crate::entities::job_run::RunStatus;
use crate::jobs;
use crate::runs;
use crate::state::SchedulerState;

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
    let job = jobs::find(&state.db, &name).await?;
    let act = AdminAct::new(&user, "job.run", &job.name);
    let run_uuid = runs::trigger(&state, &job, &act).await?;
    tracing::info!(job = %job.name, run = %run_uuid, "job triggered by hand");
    Ok(HttpResponse::Accepted().json(Triggered {
        run_uuid,
        status: RunStatus::Queued,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct Paging {
    /// 1 to 10,000.
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<u64>,
    /// 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<u64>,
    /// Only the runs with this status.
    #[param(inline)]
    pub status: Option<RunStatus>,
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
        (status = 400, description = "`status` is not a run status", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "`page` or `per_page` out of bounds", body = dayone_web::error::ErrorDoc)))]
pub async fn history(
    state: web::Data<SchedulerState>,
    user: AuthenticatedUser,
    name: web::Path<String>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let job = jobs::find(&state.db, &name).await?;
    let page = Page::checked(
        paging.page,
        paging.per_page,
        PageBounds {
            default_per_page: 50,
            max_per_page: 500,
        },
    )?;
    let (runs, total) = runs::history(&state.db, &job, page, paging.status).await?;
    Ok(HttpResponse::Ok().json(RunPage {
        items: runs.into_iter().map(RunView::from).collect(),
        page: page.page,
        per_page: page.per_page,
        total,
    }))
}
