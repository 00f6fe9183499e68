//! The support case for admins: find someone's notifications, send one
//! again.

use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use dayone_web::ApiError;
use dayone_web::audit::AdminAct;
use dayone_web::auth::AuthenticatedUser;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::notifications::Accepted;
use crate::state::NotifyState;
use crate::support;

#[derive(Deserialize, IntoParams)]
pub struct LookupQuery {
    /// A user id, an email address or a phone number.
    #[param(min_length = 1)]
    q: String,
    /// At most this many notifications, newest first (1-200, default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
}

/// Every notification to someone, found by user id, email or phone (admins):
/// `{"contact", "notifications": [...]}`, each with its deliveries and every
/// attempt (outcome, error, time).
#[utoipa::path(
    get,
    path = "/v1/notifications/admin/lookup",
    tag = "notifications",
    security(("bearer" = [])),
    params(LookupQuery),
    responses(
        (status = 200, description = "The contact found (or null) and the notifications"),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "An empty `q`, or `limit` out of range", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn lookup(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
    query: web::Query<LookupQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let limit = query.limit.unwrap_or(50);
    let mut problems = Vec::new();
    if query.q.is_empty() {
        problems.push(("q", "must name a user id, an email or a phone".to_owned()));
    }
    if !(1..=200).contains(&limit) {
        problems.push(("limit", "must be 1 to 200".to_owned()));
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(&problems));
    }
    Ok(HttpResponse::Ok().json(support::lookup(&state.db, &query.q, limit).await?))
}

/// Sends a notification again, as a new one with the same job (admins).
#[utoipa::path(
    post,
    path = "/v1/notifications/{uuid}/resend",
    tag = "notifications",
    security(("bearer" = [])),
    params(("uuid" = Uuid, Path, description = "The notification to send again")),
    responses(
        (status = 202, description = "Queued as a new notification", body = Accepted),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such notification", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn resend(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
    uuid: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let uuid = uuid.into_inner();
    let act = AdminAct::new(&user, "notification.resend", uuid);
    let accepted = support::resend(&state.db, &state.outbox, uuid, &act).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((LOCATION, format!("/v1/notifications/{}", accepted.uuid)))
        .json(accepted))
}
