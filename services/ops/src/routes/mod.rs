//! The ops service's HTTP API: one endpoint group per file, and the
//! OpenAPI document. `/health` and `/ready` come with the runtime.

use actix_web::{HttpResponse, web};
use dayone_web::extractors::resource;
use dayone_web::{dead_letters, openapi};
use utoipa::OpenApi;

use crate::consumers::QUEUES;

/// Where this service's routes live (its `path` in services.toml).
const PREFIX: &str = "/v1/ops";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/v1/ops/openapi.json").get(document))
        .configure(dead_letters::configure(PREFIX, QUEUES));
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Dayone ops", description = "The ops service."),
    components(schemas(dayone_web::error::ErrorDoc))
)]
pub struct ApiDoc;

async fn document() -> HttpResponse {
    openapi::response(ApiDoc::openapi(), PREFIX, QUEUES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_has_no_problems() {
        let doc = openapi::finish(ApiDoc::openapi(), PREFIX, QUEUES);
        assert_eq!(openapi::problems(&doc), Vec::<String>::new());
    }
}
