//! Signing in (the form, with its own double-submitted CSRF cookie, and
//! the login API behind it) and out.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use dayone_web::secrets_match;

use super::{Csrf, Reply, SignedIn, ok, page, see_other, unavailable};
use crate::sessions::{self, COOKIE, SIGN_IN_COOKIE, SignInError};
use crate::state::State;
use crate::{audit, pages};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/console/sign-in", web::get().to(sign_in_form))
        .route("/console/sign-in", web::post().to(sign_in))
        .route("/console/sign-out", web::post().to(sign_out));
}

/// How long the sign-in form may wait for its submission.
const SIGN_IN_FORM_TTL: Duration = Duration::from_secs(600);

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
    signed: SignedIn,
    req: HttpRequest,
    form: web::Form<Csrf>,
) -> Reply {
    let session = signed.check(&form)?;
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
        return Ok(unavailable("The session store", Some(&session)));
    }
    let mut response = see_other("/console/sign-in");
    let _ = response.add_cookie(&sessions::cookie(&req, COOKIE, String::new(), None));
    Ok(response)
}
