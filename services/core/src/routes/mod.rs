//! HTTP routes of the core service: `/v1` and `/v2`.

mod app;
mod orders;
mod products;
mod products_v2;
mod search;

use actix_web::{HttpResponse, web};
use dayone_web::extractors::resource;
use dayone_web::{dead_letters, openapi};
use utoipa::OpenApi;

use crate::consumers::QUEUES;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/v1/products")
            .get(products::list)
            .post(products::create),
    )
    .service(
        resource("/v1/products/{uuid}")
            .get(products::get)
            .patch(products::update)
            .delete(products::delete),
    )
    .service(resource("/v2/products").get(products_v2::list))
    .service(resource("/v2/products/{uuid}").get(products_v2::get))
    .service(resource("/v1/orders").get(orders::list).post(orders::place))
    .service(resource("/v1/orders/{uuid}").get(orders::get))
    .service(resource("/v1/orders/{uuid}/cancel").post(orders::cancel))
    .service(resource("/v1/search").get(search::search))
    .service(resource("/v1/app/version-check").get(app::version_check))
    .service(resource("/v1/admin/app-versions").put(app::set_versions))
    .configure(dead_letters::configure(PREFIX, QUEUES))
    .service(resource("/v1/openapi.json").get(openapi_v1))
    .service(resource("/v2/openapi.json").get(openapi_v2));
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Dayone core API v1",
        description = "Products, orders, search and app-version checks."
    ),
    paths(
        products::list,
        products::get,
        products::create,
        products::update,
        products::delete,
        orders::place,
        orders::list,
        orders::get,
        orders::cancel,
        search::search,
        app::version_check,
        app::set_versions,
    ),
    components(schemas(dayone_web::error::ErrorDoc))
)]
pub struct ApiV1;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Dayone core API v2",
        description = "Products with money as {amount, currency} and cursor pagination."
    ),
    paths(products_v2::list, products_v2::get),
    components(schemas(dayone_web::error::ErrorDoc))
)]
pub struct ApiV2;

async fn openapi_v1() -> HttpResponse {
    openapi::response(ApiV1::openapi(), PREFIX, QUEUES)
}

/// Where this service's own admin routes live.
const PREFIX: &str = "/v1/core";

async fn openapi_v2() -> HttpResponse {
    openapi::response(ApiV2::openapi(), "/v2", &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_is_sound() {
        let doc = openapi::finish(ApiV1::openapi(), PREFIX, QUEUES);
        assert_eq!(openapi::problems(&doc), Vec::<String>::new());
        let doc = openapi::finish(ApiV2::openapi(), "/v2", &[]);
        assert_eq!(openapi::problems(&doc), Vec::<String>::new());
    }
}
