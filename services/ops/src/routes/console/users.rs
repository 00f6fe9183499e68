//! Accounts: search, view, disable and enable, the admin role, and their
//! sessions (through the accounts' admin API).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{Csrf, Done, Reply, SignedIn, audited_call, call_error, flash, ok, page, see_other};
use crate::pages;
use crate::state::State;
use crate::users::{self, UserAction};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/console/users", web::get().to(user_search))
        .route("/console/users/{uuid}", web::get().to(user_view))
        .route(
            "/console/users/{uuid}/sessions/{session}/end",
            web::post().to(user_end_session),
        )
        .route(
            "/console/users/{uuid}/{action}",
            web::post().to(user_action),
        );
}

#[derive(Deserialize)]
struct UserSearch {
    q: Option<String>,
    page: Option<u64>,
}

async fn user_search(
    state: web::Data<State>,
    SignedIn(session): SignedIn,
    search: web::Query<UserSearch>,
) -> HttpResponse {
    let query = search.q.clone().unwrap_or_default();
    let page = search.page.unwrap_or(1).clamp(1, 10_000);
    if query.trim().is_empty() {
        return ok(pages::users(&session, "", None, page));
    }
    match users::search(
        &state.http,
        &state.settings.api_url,
        &session.access_token,
        &query,
        page,
    )
    .await
    {
        Ok(found) => ok(pages::users(&session, &query, Some(&found), page)),
        Err(e) => call_error(&e, &session),
    }
}

async fn user_view(
    state: web::Data<State>,
    SignedIn(session): SignedIn,
    uuid: web::Path<uuid::Uuid>,
    done: web::Query<Done>,
) -> HttpResponse {
    match users::view(
        &state.http,
        &state.settings.api_url,
        &session.access_token,
        uuid.into_inner(),
    )
    .await
    {
        Ok((user, sessions)) => ok(pages::user(
            &session,
            &user,
            &sessions,
            flash(&done).as_deref(),
        )),
        Err(e) => call_error(&e, &session),
    }
}

async fn user_action(
    state: web::Data<State>,
    signed: SignedIn,
    path: web::Path<(uuid::Uuid, String)>,
    form: web::Form<Csrf>,
) -> Reply {
    let session = signed.check(&form)?;
    let (uuid, action) = path.into_inner();
    let Some(parsed) = UserAction::parse(&action) else {
        return Ok(page(
            actix_web::http::StatusCode::NOT_FOUND,
            pages::refused("Not found", "No such action on an account.", Some(&session)),
        ));
    };
    let result = users::act(
        &state.http,
        &state.settings.api_url,
        &session.access_token,
        uuid,
        parsed,
    )
    .await;
    audited_call(&state, &session, parsed.name(), &uuid.to_string(), &result).await;
    Ok(match result {
        Ok(_) => see_other(&format!("/console/users/{uuid}?done={action}")),
        Err(e) => call_error(&e, &session),
    })
}

async fn user_end_session(
    state: web::Data<State>,
    signed: SignedIn,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
    form: web::Form<Csrf>,
) -> Reply {
    let session = signed.check(&form)?;
    let (uuid, ended) = path.into_inner();
    let result = users::end_session(
        &state.http,
        &state.settings.api_url,
        &session.access_token,
        uuid,
        ended,
    )
    .await;
    audited_call(
        &state,
        &session,
        "user.end_session",
        &format!("{uuid}/{ended}"),
        &result,
    )
    .await;
    Ok(match result {
        Ok(_) => see_other(&format!("/console/users/{uuid}?done=end-session")),
        Err(e) => call_error(&e, &session),
    })
}
