//! The error every Dayone HTTP response shares.
//!
//! A body is always `{"code", "message", "request_id"}` plus `details` where
//! they help (per-field validation errors). `code` is stable and snake_case;
//! [`ErrorCode::status`] is the single code-to-status table. Services keep
//! their own `thiserror` enums and convert them into [`ApiError`]; internal
//! causes travel as `source`, are logged with their whole chain, and never
//! reach the client.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use dayone_telemetry::RequestContext;
use serde::Serialize;
use serde_json::Value;

/// Stable error codes and their HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    InvalidJson,
    InvalidQuery,
    InvalidPath,
    ValidationFailed,
    Unauthorized,
    InvalidCredentials,
    InvalidToken,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    EmailTaken,
    PhoneTaken,
    InvalidCode,
    RefreshTokenReused,
    InvalidOrExpiredToken,
    InsufficientStock,
    NotCancellable,
    IdempotencyKeyReused,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    Internal,
    DependencyUnavailable,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        match self {
            Self::BadRequest
            | Self::InvalidJson
            | Self::InvalidQuery
            | Self::InvalidPath
            | Self::InvalidOrExpiredToken => StatusCode::BAD_REQUEST,
            Self::ValidationFailed | Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized
            | Self::InvalidCredentials
            | Self::InvalidToken
            | Self::InvalidCode
            | Self::RefreshTokenReused => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict
            | Self::EmailTaken
            | Self::PhoneTaken
            | Self::InsufficientStock
            | Self::NotCancellable => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::DependencyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::InvalidJson => "invalid_json",
            Self::InvalidQuery => "invalid_query",
            Self::InvalidPath => "invalid_path",
            Self::ValidationFailed => "validation_failed",
            Self::Unauthorized => "unauthorized",
            Self::InvalidCredentials => "invalid_credentials",
            Self::InvalidToken => "invalid_token",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict => "conflict",
            Self::EmailTaken => "email_taken",
            Self::PhoneTaken => "phone_taken",
            Self::InvalidCode => "invalid_code",
            Self::RefreshTokenReused => "refresh_token_reused",
            Self::InvalidOrExpiredToken => "invalid_or_expired_token",
            Self::InsufficientStock => "insufficient_stock",
            Self::NotCancellable => "not_cancellable",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal_error",
            Self::DependencyUnavailable => "dependency_unavailable",
        }
    }
}

/// An error response.
pub struct ApiError {
    code: ErrorCode,
    message: String,
    details: Option<Value>,
    retry_after_secs: Option<u64>,
    source: Option<anyhow::Error>,
}

/// The JSON body of an error response.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub code: &'a str,
    pub message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<&'a Value>,
    pub request_id: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: None,
            retry_after_secs: None,
            source: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs.max(1));
        self
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The internal cause with its chain (or the message when there is
    /// none), for error reports; never sent to clients.
    pub fn cause(&self) -> String {
        match &self.source {
            Some(source) => format!("{source:#}"),
            None => self.message.clone(),
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    /// 422 with `details: {"fields": {"email": ["..."]}}`.
    pub fn validation(fields: &[(&str, String)]) -> Self {
        let mut map = serde_json::Map::new();
        for (field, problem) in fields {
            let entry = map
                .entry((*field).to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = entry {
                list.push(Value::String(problem.clone()));
            }
        }
        let summary = fields
            .iter()
            .map(|(f, p)| format!("{f}: {p}"))
            .collect::<Vec<_>>()
            .join("; ");
        Self::new(
            ErrorCode::ValidationFailed,
            format!("invalid input: {summary}"),
        )
        .with_details(serde_json::json!({ "fields": map }))
    }

    /// A 500 whose cause is logged but never sent.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(
                ErrorCode::Internal,
                "internal error; quote the request id when reporting it",
            )
        }
    }

    /// A 503 for a dependency that is down.
    pub fn unavailable(what: &str, source: impl Into<anyhow::Error>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(
                ErrorCode::DependencyUnavailable,
                format!("{what} is unavailable; retry later"),
            )
        }
        .with_retry_after(5)
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)?;
        if let Some(source) = &self.source {
            write!(f, " (caused by: {source:?})")?;
        }
        Ok(())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e.as_ref() as _)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            match &self.source {
                Some(source) => tracing::error!(
                    code = self.code.as_str(),
                    error = format!("{source:#}"),
                    "request failed"
                ),
                None => {
                    tracing::error!(code = self.code.as_str(), message = %self.message, "request failed")
                }
            }
        }
        let body = ErrorBody {
            code: self.code.as_str(),
            message: &self.message,
            details: self.details.as_ref(),
            request_id: RequestContext::current_request_id(),
        };
        let mut response = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            let challenge = match self.code {
                ErrorCode::InvalidToken => {
                    format!(
                        "Bearer error=\"invalid_token\", error_description=\"{}\"",
                        self.message.replace('"', "'")
                    )
                }
                _ => "Bearer".to_owned(),
            };
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response.insert_header((header::WWW_AUTHENTICATE, value));
            }
        }
        if let Some(secs) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        response.json(body)
    }
}

impl From<sea_orm::DbErr> for ApiError {
    /// PostgreSQL out of reach (no connection within the pool's acquire
    /// timeout, a connection lost mid-query, the server shutting down) is a
    /// 503 with `Retry-After`, not a 500: nothing is wrong with the request,
    /// and nobody should be paged for a dependency's outage twice.
    fn from(error: sea_orm::DbErr) -> Self {
        if is_unreachable(&error) {
            Self::unavailable("the database", error).with_retry_after(2)
        } else {
            Self::internal(error)
        }
    }
}

/// Whether `error` says the database could not be reached (rather than
/// that a statement was wrong).
pub fn is_unreachable(error: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, sqlx::Error};
    let runtime = match error {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(e) | DbErr::Exec(e) | DbErr::Query(e) => e,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx) = runtime else {
        return matches!(error, DbErr::Conn(_));
    };
    match sqlx.as_ref() {
        Error::Io(_)
        | Error::Tls(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed
        | Error::Protocol(_) => true,
        // SQLSTATE class 08 (connection exception), 57P01-57P03 (admin or
        // crash shutdown, cannot connect now).
        Error::Database(db) => db.code().is_some_and(|c| {
            c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        Self::internal(error)
    }
}

/// The error body, for OpenAPI documents.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDoc {
    /// Stable, snake_case: `validation_failed`, `invalid_token`, ...
    pub code: String,
    pub message: String,
    /// Per-field problems for `validation_failed`: `{"fields": {"email": ["..."]}}`.
    pub details: Option<serde_json::Value>,
    /// Quote it when reporting a problem.
    pub request_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_group_problems_by_field() {
        let error = ApiError::validation(&[
            ("password", "must be at least 8 characters".into()),
            ("password", "is too common".into()),
            ("email", "is not an email address".into()),
        ]);
        assert_eq!(error.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let details = error.details.unwrap();
        assert_eq!(details["fields"]["password"].as_array().unwrap().len(), 2);
        assert_eq!(details["fields"]["email"][0], "is not an email address");
    }

    #[test]
    fn internal_errors_do_not_show_their_cause() {
        let error =
            ApiError::internal(anyhow::anyhow!("password authentication failed for user x"));
        assert!(!error.to_string().contains("password"));
        assert_eq!(error.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
