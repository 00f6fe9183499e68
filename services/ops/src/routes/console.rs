//! The console's pages and forms under /console/: sign-in and out, the
//! queues with their dead letters, the audit log. Every page needs an
//! admin's session; every form, the session's CSRF token.

use std::time::Duration;

use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use dayone_web::auth::secrets_match;

use crate::api::CallError;
use crate::jobs::{self, JobAction};
use crate::queues::{self, Action, QueueError};
use crate::sessions::{self, COOKIE, SIGN_IN_COOKIE, Session, SignInError};
use crate::state::State;
use crate::support;
use crate::users::{self, UserAction};
use crate::{audit, pages};

/// The policy of every console page: this origin's files only.
const POLICY: &str =
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// How long the sign-in form may wait for its submission.
const SIGN_IN_FORM_TTL: Duration = Duration::from_secs(600);
const AUDIT_PAGE: u64 = 50;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/console", web::get().to(to_console))
        .route("/console/", web::get().to(overview))
        .route("/console/sign-in", web::get().to(sign_in_form))
        .route("/console/sign-in", web::post().to(sign_in))
        .route("/console/sign-out", web::post().to(sign_out))
        .route("/console/queues.json", web::get().to(overview_json))
        .route("/console/queues/{queue}", web::get().to(dead_letters))
        .route("/console/queues/{queue}/replay", web::post().to(replay_all))
        .route(
            "/console/queues/{queue}/discard",
            web::post().to(discard_all),
        )
        .route(
            "/console/queues/{queue}/dead-letters/{id}/replay",
            web::post().to(replay_one),
        )
        .route(
            "/console/queues/{queue}/dead-letters/{id}/discard",
            web::post().to(discard_one),
        )
        .route("/console/audit", web::get().to(audit_log))
        .route("/console/notifications", web::get().to(notifications))
        .route(
            "/console/notifications/{uuid}/resend",
            web::post().to(resend),
        )
        .route("/console/users", web::get().to(user_search))
        .route("/console/users/{uuid}", web::get().to(user_view))
        .route(
            "/console/users/{uuid}/sessions/{session}/end",
            web::post().to(user_end_session),
        )
        .route(
            "/console/users/{uuid}/{action}",
            web::post().to(user_action),
        )
        .route("/console/jobs", web::get().to(job_list))
        .route("/console/jobs/{job}", web::get().to(job_runs))
        .route("/console/jobs/{job}/{action}", web::post().to(job_action))
        .route("/console/assets/console.css", web::get().to(stylesheet))
        .route("/console/assets/console.js", web::get().to(script));
}

fn page(status: actix_web::http::StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(html)
}

fn ok(html: String) -> HttpResponse {
    page(actix_web::http::StatusCode::OK, html)
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn unavailable(what: &str, session: Option<&Session>) -> HttpResponse {
    page(
        actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
        pages::refused(
            "Unavailable",
            &format!("{what} is unavailable; try again shortly."),
            session,
        ),
    )
}

/// The signed-in admin's session (its access token fresh), or where the
/// request goes instead: the sign-in page (no session, or auth ended it) or
/// an unavailable page (Redis or auth is down).
async fn signed_in(state: &State, req: &HttpRequest) -> Result<Session, HttpResponse> {
    let session = sessions::current_fresh(
        &state.http,
        &state.settings.api_url,
        &state.verifier,
        &state.redis,
        req,
    )
    .await;
    match session {
        Ok(Some(session)) => Ok(session),
        Ok(None) => {
            let mut response = see_other("/console/sign-in");
            let _ = response.add_cookie(&sessions::cookie(req, COOKIE, String::new(), None));
            Err(response)
        }
        Err(e) => {
            tracing::warn!(error = %e, "console sessions unavailable");
            Err(unavailable("The console's sign-in", None))
        }
    }
}

#[derive(Deserialize)]
struct Csrf {
    csrf: String,
}

/// The session, if the form came with its CSRF token.
async fn form_session(
    state: &State,
    req: &HttpRequest,
    form: &Csrf,
) -> Result<Session, HttpResponse> {
    let session = signed_in(state, req).await?;
    if !secrets_match(&session.csrf, &form.csrf) {
        return Err(page(
            actix_web::http::StatusCode::FORBIDDEN,
            pages::refused(
                "Refused",
                "The form was stale or not sent from this console; reload the page and try again.",
                Some(&session),
            ),
        ));
    }
    Ok(session)
}

async fn to_console() -> HttpResponse {
    see_other("/console/")
}

async fn sign_in_form(req: HttpRequest) -> HttpResponse {
    let token = sessions::random_token();
    let cookie = sessions::cookie(&req, SIGN_IN_COOKIE, token.clone(), Some(SIGN_IN_FORM_TTL));
    let mut response = ok(pages::sign_in(&token, None));
    let _ = response.add_cookie(&cookie);
    response
}

#[derive(Deserialize)]
struct SignIn {
    csrf: String,
    email: String,
    password: String,
}

async fn sign_in(
    state: web::Data<State>,
    req: HttpRequest,
    form: web::Form<SignIn>,
) -> HttpResponse {
    let SignIn {
        csrf,
        email,
        password,
    } = form.into_inner();
    let again = |status: actix_web::http::StatusCode, message: &str| {
        let token = sessions::random_token();
        let cookie = sessions::cookie(&req, SIGN_IN_COOKIE, token.clone(), Some(SIGN_IN_FORM_TTL));
        let mut response = page(status, pages::sign_in(&token, Some(message)));
        let _ = response.add_cookie(&cookie);
        response
    };
    let expected = req
        .cookie(SIGN_IN_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if expected.is_empty() || !secrets_match(&expected, &csrf) {
        return again(
            actix_web::http::StatusCode::FORBIDDEN,
            "The form expired; please sign in again.",
        );
    }
    let email = email.trim().to_lowercase();
    let ttl = Duration::from_secs(state.settings.session_ttl_secs);
    let signed = sessions::sign_in(
        &state.http,
        &state.settings.api_url,
        &state.verifier,
        &state.redis,
        ttl,
        &email,
        &password,
    )
    .await;
    match signed {
        Ok((id, session)) => {
            let _ = audit::record(
                &state.db,
                &session.admin,
                "console.sign_in",
                &session.admin.email,
                "done",
            )
            .await;
            let mut response = see_other("/console/");
            let _ = response.add_cookie(&sessions::cookie(&req, COOKIE, id, Some(ttl)));
            let _ =
                response.add_cookie(&sessions::cookie(&req, SIGN_IN_COOKIE, String::new(), None));
            response
        }
        Err(SignInError::WrongCredentials) => again(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "The email or password is wrong.",
        ),
        Err(SignInError::Throttled) => again(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            "Too many failed sign-ins; try again later.",
        ),
        Err(SignInError::NotAdmin) => page(
            actix_web::http::StatusCode::FORBIDDEN,
            pages::refused(
                "Admins only",
                "This console is for admins; your account is not one.",
                None,
            ),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "console sign-in failed");
            unavailable("Signing in", None)
        }
    }
}

async fn sign_out(
    state: web::Data<State>,
    req: HttpRequest,
    form: web::Form<Csrf>,
) -> HttpResponse {
    let session = match form_session(&state, &req, &form).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    if let Err(e) = sessions::sign_out(
        &state.http,
        &state.settings.api_url,
        &state.redis,
        &req,
        &session,
    )
    .await
    {
        tracing::warn!(error = %e, "console sign-out failed");
        return unavailable("The session store", Some(&session));
    }
    let mut response = see_other("/console/sign-in");
    let _ = response.add_cookie(&sessions::cookie(&req, COOKIE, String::new(), None));
    response
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
    n: Option<u32>,
}

/// The note after a form, from a fixed list (never text from the URL).
fn flash(done: &Done) -> Option<String> {
    let n = done.n.unwrap_or(0);
    let s = if n == 1 { "" } else { "s" };
    match done.done.as_deref()? {
        "replay" => Some(format!("Replayed {n} dead letter{s}.")),
        "discard" => Some(format!("Discarded {n} dead letter{s}.")),
        "missing" => Some("That dead letter is no longer there.".to_owned()),
        "run" => Some("Run queued: it shows in the history once a worker reports.".to_owned()),
        "pause" => Some("Paused: no scheduled runs until resumed.".to_owned()),
        "resume" => Some("Resumed.".to_owned()),
        "resend" => Some("Queued again as a new notification.".to_owned()),
        "disable" => Some("Disabled: its sessions ended, and it cannot sign in.".to_owned()),
        "enable" => Some("Enabled: it can sign in again.".to_owned()),
        "make-admin" => {
            Some("Now an admin (its sessions ended, so the role applies at once).".to_owned())
        }
        "remove-admin" => Some("No longer an admin (its sessions ended).".to_owned()),
        "end-session" => Some("Session ended.".to_owned()),
        _ => None,
    }
}

async fn overview(
    state: web::Data<State>,
    req: HttpRequest,
    done: web::Query<Done>,
) -> HttpResponse {
    let session = match signed_in(&state, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    match queues::overview(&state.http, &state.broker_settings).await {
        Ok(views) => ok(pages::queues(&session, &views, flash(&done).as_deref())),
        Err(e) => {
            tracing::warn!(error = %e, "queue overview failed");
            unavailable("RabbitMQ's management API", Some(&session))
        }
    }
}

/// The figures the queues page refreshes itself with; 304 when unchanged.
async fn overview_json(state: web::Data<State>, req: HttpRequest) -> HttpResponse {
    if let Err(response) = signed_in(&state, &req).await {
        return response;
    }
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

async fn dead_letters(
    state: web::Data<State>,
    req: HttpRequest,
    queue: web::Path<String>,
    done: web::Query<Done>,
) -> HttpResponse {
    let session = match signed_in(&state, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    match queues::dead_letters(&state.broker, &queue).await {
        Ok(letters) => ok(pages::dead_letters(
            &session,
            &queue,
            &letters,
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
    req: &HttpRequest,
    form: &Csrf,
    queue: &str,
    action: Action,
    id: Option<&str>,
) -> HttpResponse {
    let session = match form_session(state, req, form).await {
        Ok(session) => session,
        Err(response) => return response,
    };
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

async fn replay_all(
    state: web::Data<State>,
    req: HttpRequest,
    queue: web::Path<String>,
    form: web::Form<Csrf>,
) -> HttpResponse {
    act(&state, &req, &form, &queue, Action::ReplayAll, None).await
}

async fn discard_all(
    state: web::Data<State>,
    req: HttpRequest,
    queue: web::Path<String>,
    form: web::Form<Csrf>,
) -> HttpResponse {
    act(&state, &req, &form, &queue, Action::DiscardAll, None).await
}

async fn replay_one(
    state: web::Data<State>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<Csrf>,
) -> HttpResponse {
    let (queue, id) = path.into_inner();
    act(&state, &req, &form, &queue, Action::Replay, Some(&id)).await
}

async fn discard_one(
    state: web::Data<State>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<Csrf>,
) -> HttpResponse {
    let (queue, id) = path.into_inner();
    act(&state, &req, &form, &queue, Action::Discard, Some(&id)).await
}

#[derive(Deserialize)]
struct Older {
    before: Option<i64>,
}

async fn audit_log(
    state: web::Data<State>,
    req: HttpRequest,
    older: web::Query<Older>,
) -> HttpResponse {
    let session = match signed_in(&state, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
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

/// An API the console calls refused or could not be reached.
fn call_error(e: &CallError, session: &Session) -> HttpResponse {
    match e {
        CallError::Refused { status, message } => {
            let status = actix_web::http::StatusCode::from_u16(*status)
                .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY);
            page(status, pages::refused("Refused", message, Some(session)))
        }
        CallError::Unreachable(cause) => {
            tracing::warn!(error = %cause, "an API the console calls is unavailable");
            unavailable("The service", Some(session))
        }
    }
}

async fn job_list(
    state: web::Data<State>,
    req: HttpRequest,
    done: web::Query<Done>,
) -> HttpResponse {
    let session = match signed_in(&state, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    match jobs::list(&state.http, &state.settings.api_url, &session.access_token).await {
        Ok(list) => ok(pages::jobs(&session, &list, flash(&done).as_deref())),
        Err(e) => call_error(&e, &session),
    }
}

#[derive(Deserialize)]
struct RunFilter {
    page: Option<u64>,
    status: Option<String>,
    done: Option<String>,
    n: Option<u32>,
}

async fn job_runs(
    state: web::Data<State>,
    req: HttpRequest,
    job: web::Path<String>,
    filter: web::Query<RunFilter>,
) -> HttpResponse {
    let session = match signed_in(&state, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let page = filter.page.unwrap_or(1).clamp(1, 10_000);
    match jobs::runs(
        &state.http,
        &state.settings.api_url,
        &session.access_token,
        &job,
        page,
    )
    .await
    {
        Ok(runs) => {
            let done = Done {
                done: filter.done.clone(),
                n: filter.n,
            };
            ok(pages::runs(
                &session,
                &job,
                &runs,
                page,
                filter.status.as_deref(),
                flash(&done).as_deref(),
            ))
        }
        Err(e) => call_error(&e, &session),
    }
}

async fn job_action(
    state: web::Data<State>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<Csrf>,
) -> HttpResponse {
    let session = match form_session(&state, &req, &form).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let (job, action) = path.into_inner();
    let Some(action) = JobAction::parse(&action) else {
        return page(
            actix_web::http::StatusCode::NOT_FOUND,
            pages::refused("Not found", "No such action on a job.", Some(&session)),
        );
    };
    let result = jobs::act(
        &state.http,
        &state.settings.api_url,
        &session.access_token,
        &job,
        action,
    )
    .await;
    let name = format!("job.{}", action.as_str());
    audited_call(&state, &session, &name, &job, &result).await;
    match result {
        Ok(_) => {
            let job: String = job
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || "-_".contains(*c))
                .collect();
            see_other(&format!("/console/jobs/{job}?done={}", action.as_str()))
        }
        Err(e) => call_error(&e, &session),
    }
}

#[derive(Deserialize)]
struct Lookup {
    q: Option<String>,
    done: Option<String>,
}

async fn notifications(
    state: web::Data<State>,
    req: HttpRequest,
    lookup: web::Query<Lookup>,
) -> HttpResponse {
    let session = match signed_in(&state, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
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
    req: HttpRequest,
    uuid: web::Path<uuid::Uuid>,
    lookup: web::Query<Lookup>,
    form: web::Form<Csrf>,
) -> HttpResponse {
    let session = match form_session(&state, &req, &form).await {
        Ok(session) => session,
        Err(response) => return response,
    };
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
    match result {
        Ok(_) => {
            let q = crate::queues::percent_encode(lookup.q.as_deref().unwrap_or_default());
            see_other(&format!("/console/notifications?q={q}&done=resend"))
        }
        Err(e) => call_error(&e, &session),
    }
}

#[derive(Deserialize)]
struct UserSearch {
    q: Option<String>,
    page: Option<u64>,
}

async fn user_search(
    state: web::Data<State>,
    req: HttpRequest,
    search: web::Query<UserSearch>,
) -> HttpResponse {
    let session = match signed_in(&state, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
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
    req: HttpRequest,
    uuid: web::Path<uuid::Uuid>,
    done: web::Query<Done>,
) -> HttpResponse {
    let session = match signed_in(&state, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
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
    req: HttpRequest,
    path: web::Path<(uuid::Uuid, String)>,
    form: web::Form<Csrf>,
) -> HttpResponse {
    let session = match form_session(&state, &req, &form).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let (uuid, action) = path.into_inner();
    let Some(parsed) = UserAction::parse(&action) else {
        return page(
            actix_web::http::StatusCode::NOT_FOUND,
            pages::refused("Not found", "No such action on an account.", Some(&session)),
        );
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
    match result {
        Ok(_) => see_other(&format!("/console/users/{uuid}?done={action}")),
        Err(e) => call_error(&e, &session),
    }
}

async fn user_end_session(
    state: web::Data<State>,
    req: HttpRequest,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
    form: web::Form<Csrf>,
) -> HttpResponse {
    let session = match form_session(&state, &req, &form).await {
        Ok(session) => session,
        Err(response) => return response,
    };
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
    match result {
        Ok(_) => see_other(&format!("/console/users/{uuid}?done=end-session")),
        Err(e) => call_error(&e, &session),
    }
}

/// How an action ended, for the audit log: `done` as `done` says, or
/// `failed: ` and why.
fn outcome<T, E: std::fmt::Display>(
    result: &Result<T, E>,
    done: impl FnOnce(&T) -> String,
) -> String {
    match result {
        Ok(value) => done(value),
        Err(e) => format!("failed: {e}"),
    }
}

/// An action the console forwarded to a service's admin API: the service
/// reports what it did to the audit log itself (in the change's own
/// transaction, with this request's id), so only a call that failed is
/// recorded here.
async fn audited_call<T>(
    state: &State,
    session: &Session,
    action: &str,
    target: &str,
    result: &Result<T, CallError>,
) {
    if let Err(e) = result {
        audited(state, session, action, target, &format!("failed: {e}")).await;
    }
}

/// Records an admin action. A failure to record is logged, and never stands
/// in the admin's way.
async fn audited(state: &State, session: &Session, action: &str, target: &str, outcome: &str) {
    if let Err(e) = audit::record(&state.db, &session.admin, action, target, outcome).await {
        tracing::error!(error = %e, action, target, "the audit log could not record an admin action");
    }
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(include_str!("../../assets/console.css"))
}

async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(include_str!("../../assets/console.js"))
}
