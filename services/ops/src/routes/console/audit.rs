//! The audit log, newest first, a page at a time.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{SignedIn, ok, unavailable};
use crate::state::State;
use crate::{audit, pages};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/console/audit", web::get().to(audit_log));
}

const AUDIT_PAGE: u64 = 50;

#[derive(Deserialize)]
struct Older {
    before: Option<i64>,
}

async fn audit_log(
    state: web::Data<State>,
    SignedIn(session): SignedIn,
    older: web::Query<Older>,
) -> HttpResponse {
    match audit::recent(&state.db, older.before, AUDIT_PAGE).await {
        Ok(entries) => {
            let next = (entries.len() as u64 == AUDIT_PAGE)
                .then(|| entries.last().map(|e| e.id))
                .flatten();
            ok(pages::audit(&session, &entries, next))
        }
        Err(e) => {
            tracing::warn!(error = %e, "audit log unavailable");
            unavailable("The audit log", Some(&session))
        }
    }
}
