//! The audit log over the API, for admins' tools.

use actix_web::{HttpResponse, web};
use dayone_web::ApiError;
use dayone_web::auth::AuthenticatedUser;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::audit::{self, Entry};
use crate::error::Error;
use crate::state::State;

#[derive(Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Entries older than this one (the `next` of the previous page).
    before: Option<i64>,
    /// At most this many (1-200, default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<Entry>,
    /// `before` for the next page; absent on the last.
    pub next: Option<i64>,
}

/// What admins did, newest first (admins).
#[utoipa::path(get, path = "/v1/ops/audit", tag = "ops", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, description = "A page of the audit log", body = AuditPage),
        (status = 401, description = "No or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "`limit` out of range", body = dayone_web::error::ErrorDoc)))]
pub async fn list(
    state: web::Data<State>,
    user: AuthenticatedUser,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::validation(&[(
            "limit",
            "must be 1 to 200".into(),
        )]));
    }
    let entries = audit::recent(&state.db, query.before, limit)
        .await
        .map_err(Error::from)?;
    let next = (entries.len() as u64 == limit)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    Ok(HttpResponse::Ok().json(AuditPage { entries, next }))
}
