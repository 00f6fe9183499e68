//! The support case: a user's notifications with every delivery and
//! attempt, and sending one again (through the notification admin API).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{Csrf, Done, Reply, SignedIn, audited_call, call_error, flash, ok, see_other};
use crate::state::State;
use crate::{pages, support};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/console/notifications", web::get().to(notifications))
        .route(
            "/console/notifications/{uuid}/resend",
            web::post().to(resend),
        );
}

#[derive(Deserialize)]
struct Lookup {
    q: Option<String>,
    done: Option<String>,
}

async fn notifications(
    state: web::Data<State>,
    SignedIn(session): SignedIn,
    lookup: web::Query<Lookup>,
) -> HttpResponse {
    let done = Done {
        done: lookup.done.clone(),
        n: None,
    };
    let query = lookup.q.clone().unwrap_or_default();
    if query.trim().is_empty() {
        return ok(pages::notifications(
            &session,
            "",
            None,
            flash(&done).as_deref(),
        ));
    }
    match support::lookup(
        &state.http,
        &state.settings.api_url,
        &session.access_token,
        &query,
    )
    .await
    {
        Ok(found) => ok(pages::notifications(
            &session,
            &query,
            Some(&found),
            flash(&done).as_deref(),
        )),
        Err(e) => call_error(&e, &session),
    }
}

async fn resend(
    state: web::Data<State>,
    signed: SignedIn,
    uuid: web::Path<uuid::Uuid>,
    lookup: web::Query<Lookup>,
    form: web::Form<Csrf>,
) -> Reply {
    let session = signed.check(&form)?;
    let uuid = uuid.into_inner();
    let result = support::resend(
        &state.http,
        &state.settings.api_url,
        &session.access_token,
        uuid,
    )
    .await;
    audited_call(
        &state,
        &session,
        "notification.resend",
        &uuid.to_string(),
        &result,
    )
    .await;
    Ok(match result {
        Ok(_) => {
            let q = crate::queues::percent_encode(lookup.q.as_deref().unwrap_or_default());
            see_other(&format!("/console/notifications?q={q}&done=resend"))
        }
        Err(e) => call_error(&e, &session),
    })
}
