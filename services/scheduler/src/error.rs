//! The scheduler's domain errors, and the one place they become HTTP
//! answers. It answers no code of its own: every one is a shared
//! `ErrorCode` (a code only this service answered would be a row of a
//! `dayone_web::error_codes!` table here).

use dayone_web::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    /// No job of that name.
    #[error("job not found")]
    JobNotFound,
    /// A trigger by hand queues a run (overlap rules do not apply to it);
    /// one that did not is a fault of ours.
    #[error("a manual trigger was not queued: {0}")]
    NotQueued(String),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

impl From<SchedulerError> for ApiError {
    fn from(error: SchedulerError) -> Self {
        match error {
            SchedulerError::JobNotFound => ApiError::not_found("job"),
            e @ SchedulerError::NotQueued(_) => ApiError::internal(anyhow::Error::new(e)),
            // Unreachable PostgreSQL is a 503, anything else a 500.
            SchedulerError::Database(e) => ApiError::from(e),
        }
    }
}
