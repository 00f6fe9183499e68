//! The console's pages and forms under /console/, a file each: sign-in and
//! out (`sign_in.rs`), the queues and their dead letters (`queues.rs`), the
//! scheduled jobs (`jobs.rs`), a user's notifications (`support.rs`), the
//! accounts (`users.rs`) and the audit log (`audit.rs`). Every page needs
//! an admin's session ([`SignedIn`]); every form, that session's CSRF token
//! ([`SignedIn::check`]). What is shared lives here.

mod audit;
mod jobs;
mod queues;
mod sign_in;
mod support;
mod users;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::header::{self, ContentType};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use dayone_web::{RevocationList, secrets_match};
use serde::Deserialize;

use crate::api::CallError;
use crate::sessions::{self, COOKIE, Session};
use crate::state::State;
use crate::{audit as log, pages};

/// The policy of every console page: this origin's files only.
const POLICY: &str =
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/console", web::get().to(to_console))
        .configure(sign_in::configure)
        .configure(queues::configure)
        .configure(jobs::configure)
        .configure(support::configure)
        .configure(users::configure)
        .configure(audit::configure)
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

/// What a handler answers: its page, or the page shown instead (a
/// [`detour`]).
type Reply = Result<HttpResponse, actix_web::Error>;

/// Answers with `response` in place of the page asked for (the sign-in
/// form, a refusal).
fn detour(response: HttpResponse) -> actix_web::Error {
    InternalError::from_response("console detour", response).into()
}

/// The signed-in admin's session (its access token fresh). Without one the
/// request goes to the sign-in page (no session, or it was revoked) or to an
/// unavailable page (Redis or the login API is down) instead of its handler.
pub struct SignedIn(pub Session);

impl FromRequest for SignedIn {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let Some(state) = req.app_data::<web::Data<State>>() else {
                return Err(detour(unavailable("The console", None)));
            };
            signed_in(state, &req).await.map(SignedIn).map_err(detour)
        })
    }
}

impl SignedIn {
    /// The session, if the form came with the session's CSRF token.
    fn check(self, form: &Csrf) -> Result<Session, actix_web::Error> {
        let SignedIn(session) = self;
        if secrets_match(&session.csrf, &form.csrf) {
            return Ok(session);
        }
        Err(detour(page(
            actix_web::http::StatusCode::FORBIDDEN,
            pages::refused(
                "Refused",
                "The form was stale or not sent from this console; reload the page and try again.",
                Some(&session),
            ),
        )))
    }
}

async fn signed_in(state: &State, req: &HttpRequest) -> Result<Session, HttpResponse> {
    // The runtime's list, kept current by the revocation broadcasts.
    let Some(revocations) = req.app_data::<web::Data<RevocationList>>() else {
        return Err(unavailable("The console's sign-in", None));
    };
    let session = sessions::current_fresh(
        &state.http,
        &state.settings.api_url,
        &state.verifier,
        revocations,
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

/// A form's CSRF field.
#[derive(Deserialize)]
struct Csrf {
    csrf: String,
}

async fn to_console() -> HttpResponse {
    see_other("/console/")
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
        "resend" => Some("Queued again as a new message.".to_owned()),
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
    if let Err(e) = log::record(&state.db, &session.admin, action, target, outcome).await {
        tracing::error!(error = %e, action, target, "the audit log could not record an admin action");
    }
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(include_str!("../../../assets/console.css"))
}

async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(include_str!("../../../assets/console.js"))
}
