//! The request limits auth applies, by policy name (`throttles:` in
//! services/auth/config.yaml). Each guards something that costs money or reputation
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
pub const PHONE_CHANGE_PER_ACCOUNT: &str = "phone_change_per_account";
pub const EMAIL_VERIFICATION_PER_ACCOUNT: &str = "email_verification_per_account";

/// Every policy auth uses: it refuses to start unless each is set.
pub const ALL: &[&str] = &[
    REGISTER_PER_ADDRESS,
    OTP_REQUEST_PER_ADDRESS,
    OTP_REQUEST_PER_PHONE,
    PASSWORD_RESET_PER_ADDRESS,
    PASSWORD_RESET_PER_EMAIL,
    SMS_BUDGET,
    PHONE_CHANGE_PER_ACCOUNT,
    EMAIL_VERIFICATION_PER_ACCOUNT,
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

/// A 429 for everyone while the SMS budget is spent: asked before looking
/// the number up, so the answer says nothing about whether it is known, and
/// numbers nobody has do not use the budget up.
pub async fn sms_budget_left(state: &AuthState) -> Result<(), ApiError> {
    let result = state
        .throttles
        .spent(&state.redis, SMS_BUDGET, "all", SMS_BUDGET_SPENT)
        .await;
    alert_if_spent(state, &result).await;
    result
}

/// Takes one SMS from the budget every user shares (two requests racing
/// for its last SMS: the second is refused here).
pub async fn spend_sms(state: &AuthState) -> Result<(), ApiError> {
    let result = state
        .throttles
        .check(&state.redis, SMS_BUDGET, "all", SMS_BUDGET_SPENT)
        .await
        .map(drop);
    alert_if_spent(state, &result).await;
    result
}

const SMS_BUDGET_SPENT: &str = "the hourly SMS budget is spent";

/// A spent budget tells the alert webhook, once per alert window.
async fn alert_if_spent(state: &AuthState, result: &Result<(), ApiError>) {
    if let Err(error) = result
        && error.code() == dayone_web::ErrorCode::RateLimited
    {
        let limit = state.throttles.limit(SMS_BUDGET);
        let text = format!(
            "auth's SMS budget ({} per {} s) is spent: login codes are refused until the \
             window ends. Many codes to many numbers is what SMS pumping looks like.",
            limit.max,
            limit.window.as_secs()
        );
        state.alerter.raise("sms_budget_spent", &text).await;
    }
}

/// Answers no sooner than `auth.anonymous_answer_floor_ms` after `started`:
/// requests that must not tell whether an account exists (login codes,
/// reset links) do more work when it does (a token, an outbox row), and
/// the floor hides that difference in the answer's timing.
pub async fn answer_floor(state: &AuthState, started: std::time::Instant) {
    let floor = std::time::Duration::from_millis(state.settings.anonymous_answer_floor_ms);
    tokio::time::sleep_until((started + floor).into()).await;
}
