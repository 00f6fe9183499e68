//! Changing the caller's phone: the new number confirms a code first. An
//! account cannot point login codes at a number it does not hold, nor pump
//! SMS by changing its number over and over: each change costs a code,
//! limited per account and per number, inside the hourly SMS budget.
//!
//! The code is kept with the login codes (`otp_codes`), hashed for another
//! purpose (`phone-change:` before the number), so it never logs anyone in
//! and a login code never confirms a change.

use actix_web::{HttpResponse, web};
use dayone_web::ApiError;
use dayone_web::auth::AuthenticatedUser;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::Problems;
use super::account::{NewPhone, UpdateRequest, update};
use super::otp::{code_of, count_attempt};
use super::sessions::caller;
use crate::domain::Phone;
use crate::error::AuthError;
use crate::state::AuthState;
use crate::users::UserResponse;
use crate::{codes, limits, users};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneChange {
    /// The new number, E.164 (`+4915112345678`).
    #[schema(schema_with = crate::domain::phone_schema)]
    pub phone: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneConfirm {
    #[schema(schema_with = crate::domain::phone_schema)]
    pub phone: String,
    /// The six digits sent to the new number.
    #[schema(pattern = "^ *[0-9]{6} *$")]
    pub code: String,
}

/// Sends a code to the new number; the account's phone changes when the
/// code comes back (`POST /v1/auth/me/phone/confirm`).
#[utoipa::path(
    post,
    path = "/v1/auth/me/phone",
    operation_id = "change_phone",
    tag = "users",
    security(("bearer" = [])),
    request_body = PhoneChange,
    responses(
        (status = 202, description = "A code is on its way to the new number"),
        (status = 409, description = "The number belongs to another account", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "Not a phone number, or already this account's", body = dayone_web::error::ErrorDoc),
        (status = 429, description = "Too many changes for this account or codes for this number, or the hourly SMS budget is spent", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn change(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
    body: web::Json<PhoneChange>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::default();
    let phone = problems.check("phone", Phone::parse(&body.phone));
    problems.finish()?;
    let Some(phone) = phone else {
        return Err(AuthError::Invalid(vec![]).into());
    };
    let user = caller(&state, &auth).await?;
    if user.phone.as_deref() == Some(phone.as_str()) {
        return Err(AuthError::Invalid(vec![("phone", "is already this account's".into())]).into());
    }
    if users::find_by_phone(&state.db, phone.as_str())
        .await?
        .is_some()
    {
        return Err(AuthError::PhoneTaken.into());
    }
    state
        .throttles
        .check(
            &state.redis,
            limits::PHONE_CHANGE_PER_ACCOUNT,
            &user.uuid.to_string(),
            "too many phone changes for this account",
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
    limits::spend_sms(&state).await?;

    codes::send_phone_change_code(&state, &user, phone.as_str()).await?;
    tracing::info!(user_id = %user.uuid, "phone change code sent");
    Ok(HttpResponse::Accepted().json(json!({
        "message": "a code is on its way to the new number"
    })))
}

/// Changes the account's phone to the number the code was sent to. Five
/// attempts per account in the code window.
#[utoipa::path(
    post,
    path = "/v1/auth/me/phone/confirm",
    operation_id = "confirm_phone",
    tag = "users",
    security(("bearer" = [])),
    request_body = PhoneConfirm,
    responses(
        (status = 200, description = "The phone changed", body = UserResponse),
        (status = 409, description = "The number became another account's meanwhile", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "Not the code sent to this number, or it expired", body = dayone_web::error::ErrorDoc),
        (status = 429, description = "Too many attempts", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn confirm(
    state: web::Data<AuthState>,
    auth: AuthenticatedUser,
    body: web::Json<PhoneConfirm>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::default();
    let phone = problems.check("phone", Phone::parse(&body.phone));
    let code = code_of(&mut problems, &body.code);
    problems.finish()?;
    let Some(phone) = phone else {
        return Err(AuthError::Invalid(vec![]).into());
    };
    let user = caller(&state, &auth).await?;
    count_attempt(
        &state,
        &format!("phone-confirm:{}", user.uuid),
        "too many attempts; ask for a new code later",
    )
    .await?;

    let right = codes::redeem_phone_change_code(&state, &user, phone.as_str(), code).await?;
    if !right {
        return Err(AuthError::Invalid(vec![(
            "code",
            "is not the code sent to this number, or it expired".into(),
        )])
        .into());
    }
    let change = UpdateRequest {
        name: None,
        phone: Some(Some(phone.into_inner())),
        locale: None,
        roles: None,
    };
    let updated = update(&state, &auth, user, change, NewPhone::Confirmed).await?;
    tracing::info!(user_id = %updated.uuid, "phone changed after its code");
    Ok(HttpResponse::Ok().json(UserResponse::from(updated)))
}
