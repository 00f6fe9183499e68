//! HTTP routes of the auth service, one module per endpoint group.

mod account;
mod api_keys;
mod email;
mod jwks;
mod login;
mod mfa;
mod oauth;
mod otp;
mod passkeys;
mod password;
mod phone;
mod register;
mod sessions;
mod users;

use actix_web::{HttpResponse, web};
use dayone_web::extractors::resource;
use dayone_web::{dead_letters, openapi};
use utoipa::OpenApi;

use crate::consumers::QUEUES;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(dead_letters::configure(PREFIX, QUEUES))
        .service(resource("/v1/auth/register").post(register::register))
        .service(resource("/v1/auth/login").post(login::login))
        .service(resource("/v1/auth/refresh").post(sessions::refresh))
        .service(resource("/v1/auth/logout").post(sessions::logout))
        .service(resource("/v1/auth/logout-all").post(sessions::logout_all))
        .service(resource("/v1/auth/sessions").get(sessions::list))
        .service(resource("/v1/auth/sessions/{id}").delete(sessions::delete))
        .service(resource("/v1/auth/oauth/providers").get(oauth::providers))
        .service(resource("/v1/auth/oauth/token").post(oauth::token))
        .service(resource("/v1/auth/oauth/{provider}/authorize").get(oauth::authorize))
        .service(
            resource("/v1/auth/oauth/{provider}/callback")
                .get(oauth::callback)
                .post(oauth::callback_form),
        )
        .service(resource("/v1/auth/oauth/{provider}/link").post(oauth::link))
        .service(resource("/v1/auth/passkeys").get(passkeys::list))
        .service(resource("/v1/auth/passkeys/register/start").post(passkeys::start_registration))
        .service(resource("/v1/auth/passkeys/register/finish").post(passkeys::finish_registration))
        .service(resource("/v1/auth/passkeys/login/start").post(passkeys::start_sign_in))
        .service(resource("/v1/auth/passkeys/login/finish").post(passkeys::finish_sign_in))
        .service(resource("/v1/auth/passkeys/{uuid}").delete(passkeys::delete))
        .service(resource("/v1/auth/mfa").get(mfa::status))
        .service(resource("/v1/auth/mfa/totp").post(mfa::enroll))
        .service(resource("/v1/auth/mfa/totp/confirm").post(mfa::confirm))
        .service(resource("/v1/auth/mfa/totp/disable").post(mfa::disable))
        .service(resource("/v1/auth/mfa/recovery-codes").post(mfa::regenerate))
        .service(resource("/v1/auth/mfa/verify").post(mfa::verify))
        .service(resource("/v1/auth/otp/request").post(otp::request))
        .service(resource("/v1/auth/otp/verify").post(otp::verify))
        .service(resource("/v1/auth/password/forgot").post(password::forgot))
        .service(resource("/v1/auth/password/reset").post(password::reset))
        .service(resource("/v1/auth/email/verify").post(email::verify))
        .service(resource("/v1/auth/email/resend").post(email::resend))
        .service(resource("/v1/auth/me/phone").post(phone::change))
        .service(resource("/v1/auth/me/phone/confirm").post(phone::confirm))
        .service(
            resource("/v1/auth/me")
                .get(account::me)
                .patch(account::update_me),
        )
        .service(resource("/v1/users").get(users::search))
        .service(resource("/v1/users/{uuid}/disable").post(users::disable))
        .service(resource("/v1/users/{uuid}/enable").post(users::enable))
        .service(resource("/v1/users/{uuid}/sessions").get(users::sessions_of))
        .service(resource("/v1/users/{uuid}/sessions/{id}").delete(users::end_session))
        .service(
            resource("/v1/users/{uuid}")
                .get(users::get)
                .patch(users::update)
                .delete(users::delete),
        )
        .service(
            resource("/v1/auth/api-keys")
                .get(api_keys::list)
                .post(api_keys::create),
        )
        .service(resource("/v1/auth/api-keys/{uuid}").delete(api_keys::revoke))
        .service(resource("/v1/auth/api-keys/{uuid}/rotate").post(api_keys::rotate))
        .service(resource("/v1/auth/.well-known/jwks.json").get(jwks::jwks))
        .service(resource("/v1/auth/openapi.json").get(openapi));
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Dayone auth", description = "Accounts, sessions and tokens."),
    paths(
        register::register,
        login::login,
        sessions::refresh,
        sessions::logout,
        sessions::logout_all,
        sessions::list,
        sessions::delete,
        passkeys::start_registration,
        passkeys::finish_registration,
        passkeys::list,
        passkeys::delete,
        passkeys::start_sign_in,
        passkeys::finish_sign_in,
        oauth::providers,
        oauth::authorize,
        oauth::callback,
        oauth::callback_form,
        oauth::token,
        oauth::link,
        mfa::status,
        mfa::enroll,
        mfa::confirm,
        mfa::disable,
        mfa::regenerate,
        mfa::verify,
        otp::request,
        otp::verify,
        password::forgot,
        password::reset,
        email::verify,
        email::resend,
        phone::change,
        phone::confirm,
        account::me,
        account::update_me,
        users::get,
        users::update,
        users::delete,
        users::search,
        users::disable,
        users::enable,
        users::sessions_of,
        users::end_session,
        api_keys::create,
        api_keys::list,
        api_keys::rotate,
        api_keys::revoke,
        jwks::jwks,
    ),
    components(schemas(dayone_web::error::ErrorDoc))
)]
pub struct ApiDoc;

async fn openapi() -> HttpResponse {
    openapi::response(ApiDoc::openapi(), PREFIX, QUEUES)
}

/// Where this service's routes live.
const PREFIX: &str = "/v1/auth";

/// Collects per-field problems for one 422.
#[derive(Default)]
pub(crate) struct Problems(pub crate::domain::FieldErrors);

impl Problems {
    /// The parsed value, or `None` with the problem recorded.
    pub fn check<T>(&mut self, field: &'static str, parsed: Result<T, String>) -> Option<T> {
        parsed.map_err(|p| self.0.push((field, p))).ok()
    }

    pub fn check_all<T>(
        &mut self,
        field: &'static str,
        parsed: Result<T, Vec<String>>,
    ) -> Option<T> {
        parsed
            .map_err(|ps| self.0.extend(ps.into_iter().map(|p| (field, p))))
            .ok()
    }

    /// `Err(422)` when anything was recorded.
    pub fn finish(self) -> Result<(), crate::error::AuthError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(crate::error::AuthError::Invalid(self.0))
        }
    }
}

/// The user agent of a request, for the session list.
pub(crate) fn device(req: &actix_web::HttpRequest) -> crate::sessions::Device {
    crate::sessions::Device {
        user_agent: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        ip: dayone_web::client::ClientIp::of(req).map(|ip| ip.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_is_sound() {
        let doc = openapi::finish(ApiDoc::openapi(), PREFIX, QUEUES);
        assert_eq!(openapi::problems(&doc), Vec::<String>::new());
    }
}
