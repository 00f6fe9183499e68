use std::sync::Arc;

use actix_web::{HttpResponse, web};
use dayone_broker::topology::{
    NOTIFICATION_EMAIL, NOTIFICATION_PUSH, NOTIFICATION_USER_EVENTS, SMS_PROMOTIONAL,
    SMS_TRANSACTIONAL,
};
use dayone_web::ApiError;
use dayone_web::auth::AuthenticatedUser;
use serde::Deserialize;
use serde_json::json;

use crate::state::NotifyState;

/// The queues this service consumes (and whose dead letters it owns).
pub const QUEUES: [&str; 5] = [
    NOTIFICATION_EMAIL.name,
    NOTIFICATION_PUSH.name,
    SMS_TRANSACTIONAL.name,
    SMS_PROMOTIONAL.name,
    NOTIFICATION_USER_EVENTS.name,
];

/// Dead letters waiting per queue (admins).
#[utoipa::path(
    get,
    path = "/v1/notifications/admin/dead-letters",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Counts per queue"),
        (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn dead_letters(
    state: web::Data<Arc<NotifyState>>,
    user: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let mut counts = serde_json::Map::new();
    for queue in QUEUES {
        let count = state
            .broker
            .dead_letter_count(queue)
            .await
            .map_err(|e| ApiError::unavailable("RabbitMQ", e))?;
        counts.insert(queue.to_owned(), json!(count));
    }
    Ok(HttpResponse::Ok().json(json!({ "dead_letters": counts })))
}

#[derive(Deserialize)]
pub struct Replay {
    limit: Option<u32>,
}

/// Moves a queue's dead letters back into it, with a fresh retry budget
/// (admins; after fixing what made them fail).
#[utoipa::path(
    post,
    path = "/v1/notifications/admin/dead-letters/{queue}/replay",
    tag = "admin",
    security(("bearer" = [])),
    params(("queue" = String, Path, description = "e.g. notification.email"), ("limit" = Option<u32>, Query, description = "At most this many (default 1000)")),
    responses(
        (status = 200, description = "How many were replayed"),
        (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "Not a queue of this service", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn replay(
    state: web::Data<Arc<NotifyState>>,
    user: AuthenticatedUser,
    queue: web::Path<String>,
    query: web::Query<Replay>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let Some(queue) = QUEUES.into_iter().find(|q| *q == queue.as_str()) else {
        return Err(ApiError::not_found("queue"));
    };
    let replayed = state
        .broker
        .replay_dead_letters(queue, query.limit.unwrap_or(1000))
        .await
        .map_err(|e| ApiError::unavailable("RabbitMQ", e))?;
    tracing::info!(queue, replayed, by = %user.user_uuid, "dead letters replayed");
    Ok(HttpResponse::Ok().json(json!({ "queue": queue, "replayed": replayed })))
}
