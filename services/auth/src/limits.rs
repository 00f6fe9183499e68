//! The request limits auth applies, by policy name (`throttles:` in
//! config/auth.yaml). Each guards something that costs money or reputation
//! when abused: an SMS, an email to an address someone else chose.

use dayone_web::ApiError;
use dayone_web::client::ClientIp;

use crate::state::AuthState;

pub const REGISTER_PER_ADDRESS: &str = "register_per_address";
pub const OTP_REQUEST_PER_ADDRESS: &str = "otp_request_per_address";
pub const OTP_REQUEST_PER_PHONE: &str = "otp_request_per_phone";
pub const PASSWORD_RESET_PER_ADDRESS: &str = "password_reset_per_address";
pub const PASSWORD_RESET_PER_EMAIL: &str = "password_reset_per_email";
pub const SMS_BUDGET: &str = "sms_budget";

/// Every policy auth uses: it refuses to start unless each is set.
pub const ALL: &[&str] = &[
    REGISTER_PER_ADDRESS,
    OTP_REQUEST_PER_ADDRESS,
    OTP_REQUEST_PER_PHONE,
    PASSWORD_RESET_PER_ADDRESS,
    PASSWORD_RESET_PER_EMAIL,
    SMS_BUDGET,
];

/// Counts a request from the client's address under `policy`.
pub async fn per_address(
    state: &AuthState,
    policy: &str,
    client: ClientIp,
    what: &str,
) -> Result<(), ApiError> {
    state
        .throttles
        .check(&state.redis, policy, &client.0.to_string(), what)
        .await
        .map(drop)
}

/// Takes one SMS from the budget every user shares. When it is spent, the
/// SMS is refused (429 until the window ends) and the alert webhook hears
/// of it once per alert window.
pub async fn spend_sms(state: &AuthState) -> Result<(), ApiError> {
    let result = state
        .throttles
        .check(
            &state.redis,
            SMS_BUDGET,
            "all",
            "the hourly SMS budget is spent",
        )
        .await;
    if let Err(error) = &result
        && error.code() == dayone_web::ErrorCode::RateLimited
    {
        let limit = state.throttles.limit(SMS_BUDGET);
        state
            .alerter
            .raise(
                "sms_budget_spent",
                &format!(
                    "auth's SMS budget ({} per {} s) is spent: login codes are refused until the window ends. \
                     Many codes to many numbers is what SMS pumping looks like.",
                    limit.max,
                    limit.window.as_secs()
                ),
            )
            .await;
    }
    result.map(drop)
}
