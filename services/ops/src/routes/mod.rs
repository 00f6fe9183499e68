//! The ops service's routes: the console (`console/`, HTML for admins),
//! the API reference (`docs.rs`), the audit log over the API (`audit.rs`)
//! and its OpenAPI document. `/health` and `/ready` come with the runtime.

mod audit;
mod console;
mod docs;

use actix_web::{HttpResponse, web};
use dayone_web::extractors::resource;
use dayone_web::{dead_letters, openapi};
use utoipa::OpenApi;

use crate::consumers::QUEUES;

/// Where this service's routes live (its `path` in services.toml).
const PREFIX: &str = "/v1/ops";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/v1/ops/openapi.json").get(document))
        .service(resource("/v1/ops/audit").get(audit::list))
        .configure(dead_letters::configure(PREFIX, QUEUES))
        .configure(console::configure)
        .configure(docs::configure);
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Dayone ops",
        description = "The ops console's service: the audit log of admin actions. The console itself is at /console/, this reference at /docs/."
    ),
    paths(audit::list),
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

    #[test]
    fn the_reference_names_every_document_once() {
        let documents = docs::documents();
        let names: std::collections::HashSet<_> = documents.iter().map(|(n, _)| n).collect();
        assert_eq!(names.len(), documents.len());
        assert!(documents.iter().any(|(_, url)| *url == "/v2/openapi.json"));
    }
}
