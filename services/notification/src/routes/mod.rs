//! HTTP routes of the notification service.

pub(crate) mod admin;
mod devices;
mod inbox;
mod notifications;
mod preferences;
mod support;
mod templates;
mod unsubscribe;

use actix_web::{HttpResponse, web};
use dayone_web::extractors::resource;
use dayone_web::{dead_letters, openapi};
use utoipa::OpenApi;

pub use admin::QUEUES;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Fixed paths before `/v1/notifications/{uuid}`.
    cfg.service(
        resource("/v1/notifications/preferences")
            .get(preferences::get)
            .put(preferences::put),
    )
    .service(resource("/v1/notifications/preferences/topics").get(preferences::topics))
    .service(resource("/v1/notifications/preferences/topics/{topic}").put(preferences::put_topic))
    .service(
        resource("/v1/notifications/unsubscribe")
            .get(unsubscribe::unsubscribe)
            .post(unsubscribe::unsubscribe_one_click),
    )
    .service(resource("/v1/notifications/openapi.json").get(openapi))
    .service(
        resource("/v1/notifications/templates")
            .get(templates::list)
            .post(templates::create),
    )
    .service(
        resource("/v1/notifications/templates/{key}")
            .get(templates::get)
            .put(templates::edit),
    )
    .service(
        resource("/v1/notifications/templates/{key}/versions/{version}").get(templates::version),
    )
    .service(resource("/v1/notifications/templates/{key}/preview").post(templates::preview))
    .service(resource("/v1/notifications/templates/{key}/publish").post(templates::publish))
    .service(resource("/v1/notifications/templates/{key}/rollback").post(templates::rollback))
    .configure(dead_letters::configure(admin::PREFIX, QUEUES))
    .service(resource("/v1/notifications/admin/lookup").get(support::lookup))
    .service(resource("/v1/notifications").post(notifications::create))
    .service(resource("/v1/notifications/{uuid}/resend").post(support::resend))
    .service(resource("/v1/notifications/{uuid}").get(notifications::get))
    .service(resource("/v1/inbox").get(inbox::list))
    .service(resource("/v1/inbox/unread-count").get(inbox::unread_count))
    .service(resource("/v1/inbox/read-all").post(inbox::read_all))
    .service(resource("/v1/inbox/stream").get(inbox::stream))
    .service(resource("/v1/inbox/{uuid}/read").post(inbox::read))
    .service(resource("/v1/inbox/{uuid}/unread").post(inbox::unread))
    .service(resource("/v1/inbox/{uuid}/archive").post(inbox::archive))
    .service(resource("/v1/inbox/{uuid}/unarchive").post(inbox::unarchive))
    .service(
        resource("/v1/devices")
            .get(devices::list)
            .post(devices::register)
            .delete(devices::remove),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Dayone notifications",
        description = "Email, SMS, push and the in-app inbox, delivered reliably."
    ),
    paths(
        notifications::create,
        notifications::get,
        support::lookup,
        support::resend,
        devices::list,
        devices::register,
        devices::remove,
        preferences::get,
        preferences::put,
        preferences::topics,
        preferences::put_topic,
        unsubscribe::unsubscribe,
        unsubscribe::unsubscribe_one_click,
        templates::list,
        templates::create,
        templates::get,
        templates::edit,
        templates::version,
        templates::preview,
        templates::publish,
        templates::rollback,
        inbox::list,
        inbox::unread_count,
        inbox::read_all,
        inbox::read,
        inbox::unread,
        inbox::archive,
        inbox::unarchive,
        inbox::stream,
    ),
    components(schemas(dayone_web::error::ErrorDoc))
)]
pub struct ApiDoc;

async fn openapi() -> HttpResponse {
    openapi::response(ApiDoc::openapi(), admin::PREFIX, QUEUES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_is_sound() {
        let doc = openapi::finish(ApiDoc::openapi(), admin::PREFIX, QUEUES);
        assert_eq!(openapi::problems(&doc), Vec::<String>::new());
    }
}
