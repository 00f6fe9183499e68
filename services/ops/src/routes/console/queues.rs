//! Every queue's figures (refreshed by polling with ETags), a queue's dead
//! letters, and replaying or discarding them (done here, on RabbitMQ, and
//! recorded here).

use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{
    Csrf, Done, Reply, SignedIn, audited, flash, ok, outcome, page, see_other, unavailable,
};
use crate::pages;
use crate::queues::{self, Action, QueueError};
use crate::sessions::Session;
use crate::state::State;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/console/", web::get().to(overview))
        .route("/console/queues.json", web::get().to(overview_json))
        .route("/console/queues/{queue}", web::get().to(dead_letters))
        .route("/console/queues/{queue}/{verb}", web::post().to(settle_all))
        .route(
            "/console/queues/{queue}/dead-letters/{id}/{verb}",
            web::post().to(settle_one),
        );
}

async fn overview(
    state: web::Data<State>,
    SignedIn(session): SignedIn,
    done: web::Query<Done>,
) -> HttpResponse {
    match queues::overview(&state.http, &state.broker_settings).await {
        Ok(views) => ok(pages::queues(&session, &views, flash(&done).as_deref())),
        Err(e) => {
            tracing::warn!(error = %e, "queue overview failed");
            unavailable("RabbitMQ's management API", Some(&session))
        }
    }
}

/// The figures the queues page refreshes itself with; 304 when unchanged.
async fn overview_json(state: web::Data<State>, _: SignedIn, req: HttpRequest) -> HttpResponse {
    let views = match queues::overview(&state.http, &state.broker_settings).await {
        Ok(views) => views,
        Err(e) => {
            return HttpResponse::ServiceUnavailable().json(
                serde_json::json!({"code": "service_unavailable", "message": e.to_string()}),
            );
        }
    };
    let body = serde_json::to_vec(&views).unwrap_or_default();
    let digest = Sha256::digest(&body);
    let etag = format!(
        "\"{}\"",
        digest
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"));
    if unchanged {
        response.finish()
    } else {
        response.content_type(ContentType::json()).body(body)
    }
}

#[derive(Deserialize)]
struct LetterPage {
    page: Option<u32>,
    done: Option<String>,
    n: Option<u32>,
}

async fn dead_letters(
    state: web::Data<State>,
    SignedIn(session): SignedIn,
    queue: web::Path<String>,
    query: web::Query<LetterPage>,
) -> HttpResponse {
    let page = query.page.unwrap_or(1).clamp(1, queues::MAX_PAGES);
    let done = Done {
        done: query.done.clone(),
        n: query.n,
    };
    match queues::dead_letters(&state.broker, &queue, page).await {
        Ok((letters, total)) => ok(pages::dead_letters(
            &session,
            &queue,
            pages::LetterPage {
                letters: &letters,
                page,
                total,
            },
            flash(&done).as_deref(),
        )),
        Err(e) => queue_error(e, &session),
    }
}

fn queue_error(e: QueueError, session: &Session) -> HttpResponse {
    match e {
        QueueError::Unknown(_) => page(
            actix_web::http::StatusCode::NOT_FOUND,
            pages::refused("Not found", &e.to_string(), Some(session)),
        ),
        QueueError::Broker(cause) => {
            tracing::warn!(error = %cause, "dead-letter action failed");
            unavailable("RabbitMQ", Some(session))
        }
    }
}

/// Does `action`, records it, and shows the queue's dead letters again.
async fn act(
    state: &State,
    session: Session,
    queue: &str,
    action: Action,
    id: Option<&str>,
) -> HttpResponse {
    let target = match id {
        Some(id) => format!("{queue}/{id}"),
        None => queue.to_owned(),
    };
    let result = queues::settle(&state.broker, queue, action, id).await;
    let outcome = outcome(&result, |n| format!("done: {n}"));
    audited(state, &session, action.name(), &target, &outcome).await;
    match result {
        Ok(n) => {
            let done = match (action, n) {
                (Action::Replay | Action::Discard, 0) => "missing",
                (Action::Replay | Action::ReplayAll, _) => "replay",
                (Action::Discard | Action::DiscardAll, _) => "discard",
            };
            let encoded: String = queue
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
                .collect();
            see_other(&format!("/console/queues/{encoded}?done={done}&n={n}"))
        }
        Err(e) => queue_error(e, &session),
    }
}

/// `POST /console/queues/{queue}/{replay|discard}`: all its dead letters.
async fn settle_all(
    state: web::Data<State>,
    signed: SignedIn,
    path: web::Path<(String, String)>,
    form: web::Form<Csrf>,
) -> Reply {
    let session = signed.check(&form)?;
    let (queue, verb) = path.into_inner();
    Ok(match verb.as_str() {
        "replay" => act(&state, session, &queue, Action::ReplayAll, None).await,
        "discard" => act(&state, session, &queue, Action::DiscardAll, None).await,
        _ => no_such_action(&session),
    })
}

/// `POST /console/queues/{queue}/dead-letters/{id}/{replay|discard}`.
async fn settle_one(
    state: web::Data<State>,
    signed: SignedIn,
    path: web::Path<(String, String, String)>,
    form: web::Form<Csrf>,
) -> Reply {
    let session = signed.check(&form)?;
    let (queue, id, verb) = path.into_inner();
    Ok(match verb.as_str() {
        "replay" => act(&state, session, &queue, Action::Replay, Some(&id)).await,
        "discard" => act(&state, session, &queue, Action::Discard, Some(&id)).await,
        _ => no_such_action(&session),
    })
}

fn no_such_action(session: &Session) -> HttpResponse {
    page(
        actix_web::http::StatusCode::NOT_FOUND,
        pages::refused(
            "Not found",
            "No such action on dead letters.",
            Some(session),
        ),
    )
}
