//! The cron jobs, a job's run history, and run now, pause, resume (through
//! the jobs' admin API).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{Csrf, Done, Reply, SignedIn, audited_call, call_error, flash, ok, page, see_other};
use crate::jobs::{self, JobAction};
use crate::pages;
use crate::state::State;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/console/jobs", web::get().to(job_list))
        .route("/console/jobs/{job}", web::get().to(job_runs))
        .route("/console/jobs/{job}/{action}", web::post().to(job_action));
}

async fn job_list(
    state: web::Data<State>,
    SignedIn(session): SignedIn,
    done: web::Query<Done>,
) -> HttpResponse {
    match jobs::list(&state.http, &state.settings.api_url, &session.access_token).await {
        Ok(list) => ok(pages::jobs(&session, &list, flash(&done).as_deref())),
        Err(e) => call_error(&e, &session),
    }
}

#[derive(Deserialize)]
struct RunFilter {
    page: Option<u64>,
    status: Option<String>,
    done: Option<String>,
    n: Option<u32>,
}

async fn job_runs(
    state: web::Data<State>,
    SignedIn(session): SignedIn,
    job: web::Path<String>,
    filter: web::Query<RunFilter>,
) -> HttpResponse {
    let page = filter.page.unwrap_or(1).clamp(1, 10_000);
    match jobs::runs(
        &state.http,
        &state.settings.api_url,
        &session.access_token,
        &job,
        page,
        filter.status.as_deref(),
    )
    .await
    {
        Ok(runs) => {
            let done = Done {
                done: filter.done.clone(),
                n: filter.n,
            };
            ok(pages::runs(
                &session,
                &job,
                &runs,
                page,
                filter.status.as_deref(),
                flash(&done).as_deref(),
            ))
        }
        Err(e) => call_error(&e, &session),
    }
}

async fn job_action(
    state: web::Data<State>,
    signed: SignedIn,
    path: web::Path<(String, String)>,
    form: web::Form<Csrf>,
) -> Reply {
    let session = signed.check(&form)?;
    let (job, action) = path.into_inner();
    let Some(action) = JobAction::parse(&action) else {
        return Ok(page(
            actix_web::http::StatusCode::NOT_FOUND,
            pages::refused("Not found", "No such action on a job.", Some(&session)),
        ));
    };
    let result = jobs::act(
        &state.http,
        &state.settings.api_url,
        &session.access_token,
        &job,
        action,
    )
    .await;
    let name = format!("job.{}", action.as_str());
    audited_call(&state, &session, &name, &job, &result).await;
    Ok(match result {
        Ok(_) => {
            let job: String = job
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || "-_".contains(*c))
                .collect();
            see_other(&format!("/console/jobs/{job}?done={}", action.as_str()))
        }
        Err(e) => call_error(&e, &session),
    })
}
