//! The notification service's domain errors, and the one place they become
//! HTTP answers. It answers no code of its own: every one is a shared
//! `ErrorCode` (a code only this service answered would be a row of a
//! `dayone_web::error_codes!` table here).

use dayone_web::idempotency::KeyReused;
use dayone_web::{ApiError, ErrorCode};

use crate::templates::Problem;
use crate::templates::store::TemplateError;

#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    /// No such notification, or not the caller's to see.
    #[error("notification not found")]
    NotificationNotFound,
    /// The caller has no such device.
    #[error("device not found")]
    DeviceNotFound,
    /// An unsubscribe token that is forged, altered or for no known channel.
    #[error("this unsubscribe link is not valid")]
    InvalidUnsubscribeLink,
    #[error(transparent)]
    KeyReused(#[from] KeyReused),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<NotificationError> for ApiError {
    fn from(error: NotificationError) -> Self {
        let message = error.to_string();
        match error {
            NotificationError::NotificationNotFound => ApiError::not_found("notification"),
            NotificationError::DeviceNotFound => ApiError::not_found("device"),
            NotificationError::InvalidUnsubscribeLink => {
                ApiError::new(ErrorCode::InvalidOrExpiredToken, message)
            }
            NotificationError::KeyReused(e) => ApiError::from(e),
            // Unreachable PostgreSQL is a 503, anything else a 500.
            NotificationError::Database(e) => ApiError::from(e),
            NotificationError::Unexpected(e) => ApiError::internal(e),
        }
    }
}

/// Problems with a template or a job's variables, as a 422 naming each.
pub fn invalid(problems: Vec<Problem>) -> ApiError {
    let fields: Vec<(&str, String)> = problems
        .iter()
        .map(|(f, m)| (f.as_str(), m.clone()))
        .collect();
    ApiError::validation(&fields)
}

impl From<TemplateError> for ApiError {
    fn from(e: TemplateError) -> Self {
        let message = e.to_string();
        match e {
            TemplateError::NotFound(_) => ApiError::not_found("template"),
            TemplateError::NoVersion(..) => ApiError::not_found("template version"),
            TemplateError::Exists(_)
            | TemplateError::NothingToRollBack(_)
            | TemplateError::Unpublished(_) => ApiError::conflict(message),
            TemplateError::Invalid(problems) => invalid(problems),
            TemplateError::Database(e) => ApiError::from(e),
        }
    }
}
