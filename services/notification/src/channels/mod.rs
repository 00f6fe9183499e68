//! The providers messages leave through: SMTP, SMS (Twilio API), APNs, FCM.

pub mod apns;
pub mod email;
pub mod fcm;
pub mod sms;

/// How a send failed, which decides what happens next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later (timeouts, 429, 5xx).
    #[error("temporary failure: {0}")]
    Transient(String),
    /// Will never work as it is (a bad address, a refused request).
    #[error("permanent failure: {0}")]
    Permanent(String),
    /// A push token the provider no longer knows: remove the device.
    #[error("device token rejected: {0}")]
    InvalidToken(String),
}

/// A short description of an HTTP error answer, for logs and attempts.
pub(crate) fn describe(status: reqwest::StatusCode, body: &str) -> String {
    let body: String = body.chars().take(300).collect();
    format!("HTTP {status}: {body}")
}

/// 429 and 5xx are worth retrying; other 4xx are not.
pub(crate) fn classify(status: reqwest::StatusCode, body: &str) -> SendError {
    let description = describe(status, body);
    if status.as_u16() == 429 || status.is_server_error() {
        SendError::Transient(description)
    } else {
        SendError::Permanent(description)
    }
}

fn transport(error: reqwest::Error) -> SendError {
    // Connection refused, reset or timed out: the provider may be back soon.
    SendError::Transient(format!("{error}"))
}
