use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use dayone_web::ApiError;
use dayone_web::client::ClientIp;
use dayone_web::throttle::{self, Limit};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::Problems;
use crate::domain::Phone;
use crate::error::AuthError;
use crate::mfa::{self, SignIn};
use crate::state::AuthState;
use crate::{codes, limits, users};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OtpRequest {
    /// E.164 phone number of an account.
    #[schema(schema_with = crate::domain::phone_schema)]
    pub phone: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OtpVerify {
    #[schema(schema_with = crate::domain::phone_schema)]
    pub phone: String,
    /// The six digits from the SMS.
    #[schema(pattern = "^ *[0-9]{6} *$")]
    pub code: String,
}

/// The six digits of a code as sent (spaces around them dropped); the
/// problem is recorded when it is not six digits.
pub(crate) fn code_of<'a>(problems: &mut Problems, raw: &'a str) -> &'a str {
    let code = raw.trim_matches(' ');
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        problems
            .0
            .push(("code", "must be the six digits from the SMS".into()));
    }
    code
}

/// Counts one attempt at a code under `key`: a 429 past the attempts the
/// code window allows (asking for a new code does not reset it).
pub(crate) async fn count_attempt(
    state: &AuthState,
    key: &str,
    message: &'static str,
) -> Result<(), ApiError> {
    let attempts = limit(state.settings.otp.max_verifications_per_phone, state);
    let usage = throttle::hit(&state.redis, key, attempts)
        .await
        .map_err(AuthError::from)?;
    if usage.exceeds(attempts) {
        return Err(AuthError::Throttled { usage, message }.into());
    }
    Ok(())
}

fn limit(max: u64, state: &AuthState) -> Limit {
    Limit {
        max,
        window: Duration::from_secs(state.settings.otp.window_secs),
    }
}

/// Sends a six-digit login code by SMS to the account with this phone. The
/// answer is the same whether or not an account has the number.
#[utoipa::path(
    post,
    path = "/v1/auth/otp/request",
    operation_id = "request_otp",
    tag = "otp",
    request_body = OtpRequest,
    responses(
        (status = 202, description = "A code is on its way if the number belongs to an account"),
        (status = 422, description = "Not a phone number", body = dayone_web::error::ErrorDoc),
        (status = 429, description = "Too many codes requested from this address or for this number, or the hourly SMS budget is spent", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn request(
    state: web::Data<AuthState>,
    client: ClientIp,
    body: web::Json<OtpRequest>,
) -> Result<HttpResponse, ApiError> {
    let started = std::time::Instant::now();
    let mut problems = Problems::default();
    let phone = problems.check("phone", Phone::parse(&body.phone));
    problems.finish()?;
    let Some(phone) = phone else {
        return Err(AuthError::Invalid(vec![]).into());
    };

    // From one address, for many numbers (SMS pumping), and for one number
    // from many addresses; then the budget every SMS shares.
    limits::per_address(
        &state,
        limits::OTP_REQUEST_PER_ADDRESS,
        client,
        "too many codes requested from this address",
    )
    .await?;
    state
        .throttles
        .check(
            &state.redis,
            limits::OTP_REQUEST_PER_PHONE,
            phone.as_str(),
            "too many codes requested for this number",
        )
        .await?;
    limits::sms_budget_left(&state).await?;

    if let Some(user) = users::find_by_phone(&state.db, phone.as_str()).await? {
        limits::spend_sms(&state).await?;
        codes::send_login_code(&state, &user, phone.as_str()).await?;
        tracing::info!(user_id = %user.uuid, "login code sent");
    }
    limits::answer_floor(&state, started).await;
    Ok(HttpResponse::Accepted().json(json!({
        "message": "if this number belongs to an account, a code is on its way"
    })))
}

/// Logs in with the code from the SMS. At most five attempts per number in
/// ten minutes, from any address; asking for a new code does not reset that.
#[utoipa::path(
    post,
    path = "/v1/auth/otp/verify",
    operation_id = "verify_otp",
    tag = "otp",
    request_body = OtpVerify,
    responses(
        (status = 200, description = "Logged in, or a challenge for the second factor", body = SignIn),
        (status = 401, description = "Wrong or expired code", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "Malformed phone or code", body = dayone_web::error::ErrorDoc),
        (status = 429, description = "Too many attempts for this number", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn verify(
    req: HttpRequest,
    state: web::Data<AuthState>,
    body: web::Json<OtpVerify>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::default();
    let phone = problems.check("phone", Phone::parse(&body.phone));
    let code = code_of(&mut problems, &body.code);
    problems.finish()?;
    let Some(phone) = phone else {
        return Err(AuthError::Invalid(vec![]).into());
    };
    count_attempt(
        &state,
        &format!("otp-verify:{}", phone.as_str()),
        "too many attempts for this number; try again later",
    )
    .await?;

    let Some(user) = codes::redeem_login_code(&state, phone.as_str(), code).await? else {
        return Err(AuthError::InvalidCode.into());
    };
    let signed_in = mfa::sign_in(&state, &user, super::device(&req), "sms").await?;
    Ok(HttpResponse::Ok().json(signed_in))
}
