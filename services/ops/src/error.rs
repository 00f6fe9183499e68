//! The ops service's domain errors and the API errors they become:
//! domain code returns these, handlers answer them with `?`.

use dayone_web::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        match error {
            Error::Database(e) => ApiError::from(e),
        }
    }
}
