//! The admin API: list jobs, trigger, pause, resume, run history; one
//! module per endpoint group.

mod jobs;
mod runs;

use actix_web::{HttpResponse, web};
use dayone_web::extractors::resource;
use dayone_web::{dead_letters, openapi};
use utoipa::OpenApi;

use crate::consumers::QUEUES;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/v1/scheduler/jobs").get(jobs::list))
        .service(resource("/v1/scheduler/jobs/{name}/run").post(runs::run))
        .service(resource("/v1/scheduler/jobs/{name}/pause").post(jobs::pause))
        .service(resource("/v1/scheduler/jobs/{name}/resume").post(jobs::resume))
        .service(resource("/v1/scheduler/jobs/{name}/runs").get(runs::history))
        .service(resource("/v1/scheduler/openapi.json").get(openapi))
        .configure(dead_letters::configure(PREFIX, QUEUES));
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Dayone scheduler",
        description = "Cron jobs managed by the system: one run per tick across replicas."
    ),
    paths(jobs::list, runs::run, jobs::pause, jobs::resume, runs::history),
    components(schemas(dayone_web::error::ErrorDoc))
)]
pub struct ApiDoc;

async fn openapi() -> HttpResponse {
    openapi::response(ApiDoc::openapi(), PREFIX, QUEUES)
}

/// Where this service's routes live.
const PREFIX: &str = "/v1/scheduler";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_is_sound() {
        let doc = openapi::finish(ApiDoc::openapi(), PREFIX, QUEUES);
        assert_eq!(openapi::problems(&doc), Vec::<String>::new());
    }
}
