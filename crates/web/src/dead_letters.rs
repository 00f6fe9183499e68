//! Dead letters, for every service alike: how many wait in each queue the
//! service consumes, and replaying them into their queue (admins, after the
//! cause was fixed). A replayed message carries the broker's `replayed`
//! mark, so work that ended as failed is tried again, and the handlers'
//! idempotency keeps work that succeeded from being done twice.
//!
//! A service mounts them under its own prefix with [`configure`] and adds
//! them to its OpenAPI document with [`document`] (through
//! [`crate::openapi::finish`]).

use actix_web::{HttpResponse, web};
use dayone_broker::Outbox;
use dayone_broker::topology::QueueDef;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::audit::AdminAct;
use crate::auth::AuthenticatedUser;
use crate::extractors::resource;
use crate::{ApiError, Dependencies};

/// The work queues a service consumes, whose dead letters it owns.
#[derive(Debug, Clone, Copy)]
pub struct OwnedQueues(pub &'static [QueueDef]);

/// `GET {prefix}/admin/dead-letters` and
/// `POST {prefix}/admin/dead-letters/{queue}/replay`.
pub fn configure(
    prefix: &'static str,
    queues: &'static [QueueDef],
) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |cfg| {
        let owned = web::Data::new(OwnedQueues(queues));
        cfg.service(
            resource(&format!("{prefix}/admin/dead-letters"))
                .app_data(owned.clone())
                .get(counts),
        )
        .service(
            resource(&format!("{prefix}/admin/dead-letters/{{queue}}/replay"))
                .app_data(owned)
                .post(replay),
        );
    }
}

/// Dead letters waiting per queue.
async fn counts(
    deps: web::Data<Dependencies>,
    queues: web::Data<OwnedQueues>,
    user: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let mut counts = serde_json::Map::new();
    for queue in queues.0 {
        let count = deps
            .broker
            .dead_letter_count(queue.name)
            .await
            .map_err(|e| ApiError::unavailable("RabbitMQ", e))?;
        counts.insert(queue.name.to_owned(), json!(count));
    }
    Ok(HttpResponse::Ok().json(json!({ "dead_letters": counts })))
}

#[derive(Deserialize)]
struct Replay {
    limit: Option<u32>,
}

/// Moves up to `limit` (default 1000) of a queue's dead letters back into
/// it, with a fresh retry budget; the audit log records it (after the fact:
/// the messages move in RabbitMQ, outside any transaction).
async fn replay(
    deps: web::Data<Dependencies>,
    outbox: web::Data<Outbox>,
    queues: web::Data<OwnedQueues>,
    user: AuthenticatedUser,
    queue: web::Path<String>,
    query: web::Query<Replay>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let Some(queue) = queues
        .0
        .iter()
        .map(|q| q.name)
        .find(|q| *q == queue.as_str())
    else {
        return Err(ApiError::not_found("queue"));
    };
    let replayed = deps
        .broker
        .replay_dead_letters(queue, query.limit.unwrap_or(1000))
        .await
        .map_err(|e| ApiError::unavailable("RabbitMQ", e))?;
    tracing::info!(queue, replayed, "dead letters replayed");
    AdminAct::new(&user, "dead_letters.replay", queue)
        .record_done(&deps.db, &outbox)
        .await;
    Ok(HttpResponse::Ok().json(json!({ "queue": queue, "replayed": replayed })))
}

/// Adds the two routes under `prefix` to a service's OpenAPI document
/// ([`crate::openapi::finish`] calls it).
pub fn document(openapi: &mut Value, prefix: &str, queues: &[QueueDef]) {
    let error = json!({"$ref": "#/components/schemas/ErrorDoc"});
    let failure = |description: &str| json!({"description": description, "content": {"application/json": {"schema": error}}});
    let queues: Vec<&str> = queues.iter().map(|q| q.name).collect();
    let list = queues.join(", ");
    let Some(paths) = openapi["paths"].as_object_mut() else {
        return;
    };
    paths.insert(
        format!("{prefix}/admin/dead-letters"),
        json!({"get": {
            "tags": ["admin"],
            "summary": "Dead letters waiting per queue (admins)",
            "description": format!("The queues of this service: {list}."),
            "operationId": "dead_letters",
            "security": [{"bearer": []}],
            "responses": {
                "200": {"description": "`{\"dead_letters\": {queue: count}}`"},
                "401": failure("No or invalid token"),
                "403": failure("Not an admin"),
                "503": failure("RabbitMQ is unavailable"),
            },
        }}),
    );
    paths.insert(
        format!("{prefix}/admin/dead-letters/{{queue}}/replay"),
        json!({"post": {
            "tags": ["admin"],
            "summary": "Moves a queue's dead letters back into it with a fresh retry budget (admins)",
            "description": "Work that ended as failed is tried again; work that succeeded is never done twice.",
            "operationId": "replay_dead_letters",
            "security": [{"bearer": []}],
            "parameters": [
                {"name": "queue", "in": "path", "required": true, "schema": {"type": "string", "enum": queues}},
                {"name": "limit", "in": "query", "required": false, "description": "At most this many (default 1000)", "schema": {"type": "integer", "format": "int64", "minimum": 0, "maximum": u32::MAX}},
            ],
            "responses": {
                "200": {"description": "`{\"queue\", \"replayed\"}`"},
                "400": failure("`limit` is not a whole number"),
                "401": failure("No or invalid token"),
                "403": failure("Not an admin"),
                "404": failure("Not a queue of this service"),
                "503": failure("RabbitMQ is unavailable"),
            },
        }}),
    );
}
