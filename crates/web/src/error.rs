//! The error every Dayone HTTP response shares.
//!
//! A body is always `{"code", "message", "request_id"}` plus `details` where
//! they help (per-field validation errors). `code` is stable and snake_case.
//! Codes come from tables written with [`error_codes!`]: one row per code
//! (name, wire string, status, meaning), everything else generated. The
//! shared table, [`ErrorCode`], holds the codes every service and the
//! gateway answer; a code only one service answers (`email_taken`,
//! `insufficient_stock`) is a row of that service's own table, in its
//! `error.rs`. Services keep their own `thiserror` enums and convert them
//! into [`ApiError`]; internal causes travel as `source`, are logged with
//! their whole chain, and never reach the client.

use std::fmt;

pub use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use dayone_telemetry::RequestContext;
use serde::Serialize;
use serde_json::Value;

/// A table of error codes: one row per code (the variant, the code clients
/// see, its status, what it means). Everything else about a code is
/// generated from its row, so the name, status and wire string cannot
/// disagree, and any table's codes become an [`ApiError`]'s [`Code`].
///
/// ```
/// dayone_web::error_codes! {
///     /// The ledger service's own codes.
///     pub enum LedgerCode {
///         Overdrawn => ("overdrawn", CONFLICT, "The account has too little left"),
///     }
/// }
/// let error = dayone_web::ApiError::new(LedgerCode::Overdrawn, "not enough left");
/// assert_eq!(error.code().as_str(), "overdrawn");
/// ```
#[macro_export]
macro_rules! error_codes {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($variant:ident => ($code:literal, $status:ident, $meaning:literal),)+
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $(#[doc = $meaning] $variant,)+
        }

        impl $name {
            /// Every code, in table order.
            pub const ALL: &'static [$name] = &[$(Self::$variant,)+];

            pub fn status(self) -> $crate::error::StatusCode {
                match self {
                    $(Self::$variant => $crate::error::StatusCode::$status,)+
                }
            }

            /// The `code` of the JSON body.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)+
                }
            }

            /// What the code means.
            pub fn meaning(self) -> &'static str {
                match self {
                    $(Self::$variant => $meaning,)+
                }
            }
        }

        impl From<$name> for $crate::error::Code {
            fn from(code: $name) -> Self {
                $crate::error::Code::new(code.as_str(), code.status())
            }
        }
    };
}

/// An [`ApiError`]'s code, from whichever table: its wire string and status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    code: &'static str,
    status: StatusCode,
}

impl Code {
    pub const fn new(code: &'static str, status: StatusCode) -> Self {
        Self { code, status }
    }

    /// The `code` of the JSON body.
    pub fn as_str(self) -> &'static str {
        self.code
    }

    pub fn status(self) -> StatusCode {
        self.status
    }
}

impl PartialEq<ErrorCode> for Code {
    fn eq(&self, other: &ErrorCode) -> bool {
        self.code == other.as_str()
    }
}

error_codes! {
    /// Stable error codes and their HTTP status that every service and the
    /// gateway answer (nginx answers some itself, with the same body).
    pub enum ErrorCode {
        BadRequest => ("bad_request", BAD_REQUEST, "The request is malformed"),
        InvalidJson => ("invalid_json", BAD_REQUEST, "The body is not JSON"),
        InvalidQuery => ("invalid_query", BAD_REQUEST, "The query string does not parse into the parameters"),
        InvalidPath => ("invalid_path", BAD_REQUEST, "A path parameter is not of its type"),
        InvalidOrExpiredToken => ("invalid_or_expired_token", BAD_REQUEST, "An emailed link's token is unknown, used or expired"),
        HeaderTooLarge => ("header_too_large", BAD_REQUEST, "A request header, or all of them, is too large (gateway)"),
        ValidationFailed => ("validation_failed", UNPROCESSABLE_ENTITY, "A value is out of its bounds; `details.fields` names each"),
        IdempotencyKeyReused => ("idempotency_key_reused", UNPROCESSABLE_ENTITY, "The Idempotency-Key was used for another request"),
        Unauthorized => ("unauthorized", UNAUTHORIZED, "No credentials"),
        InvalidCredentials => ("invalid_credentials", UNAUTHORIZED, "Wrong email or password"),
        InvalidToken => ("invalid_token", UNAUTHORIZED, "The token is invalid, expired or revoked"),
        InvalidCode => ("invalid_code", UNAUTHORIZED, "Wrong or expired login code"),
        RefreshTokenReused => ("refresh_token_reused", UNAUTHORIZED, "A refresh token was used twice; the session is revoked"),
        Forbidden => ("forbidden", FORBIDDEN, "Not allowed for this caller"),
        OriginNotAllowed => ("origin_not_allowed", FORBIDDEN, "A CORS preflight from an origin not on the allow-list (gateway)"),
        NotFound => ("not_found", NOT_FOUND, "No such resource, or no route for the path"),
        MethodNotAllowed => ("method_not_allowed", METHOD_NOT_ALLOWED, "The path has other methods; `Allow` names them"),
        Conflict => ("conflict", CONFLICT, "The resource's state does not allow it"),
        PayloadTooLarge => ("payload_too_large", PAYLOAD_TOO_LARGE, "The body is larger than 1 MiB"),
        UriTooLong => ("uri_too_long", URI_TOO_LONG, "The request URI is too long (gateway)"),
        UnsupportedMediaType => ("unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "The body is not sent as application/json"),
        RateLimited => ("rate_limited", TOO_MANY_REQUESTS, "Too many requests; `Retry-After` says when to try again"),
        Internal => ("internal_error", INTERNAL_SERVER_ERROR, "A fault of ours; quote the request id"),
        NotImplemented => ("not_implemented", NOT_IMPLEMENTED, "A transfer encoding or method the gateway does not implement (gateway)"),
        DependencyUnavailable => ("dependency_unavailable", SERVICE_UNAVAILABLE, "A dependency is down; `Retry-After` says when to try again"),
        ServiceUnavailable => ("service_unavailable", SERVICE_UNAVAILABLE, "No instance of the service answered (gateway)"),
        GatewayTimeout => ("gateway_timeout", GATEWAY_TIMEOUT, "The service did not answer in time (gateway)"),
        HttpVersionNotSupported => ("http_version_not_supported", HTTP_VERSION_NOT_SUPPORTED, "The HTTP version is not supported (gateway)"),
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// An error response.
pub struct ApiError {
    code: Code,
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
    /// An error with a code of any table ([`ErrorCode`], or a service's own).
    pub fn new(code: impl Into<Code>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
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

    pub fn code(&self) -> Code {
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
                code if code == ErrorCode::InvalidToken => {
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
    fn codes_are_unique_and_serialize_as_they_are_sent() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
            assert!(code.status().is_client_error() || code.status().is_server_error());
        }
    }

    /// The gateway answers some errors itself (nginx/dayone-routes.conf):
    /// each code it sends is a row of the table, with the same status.
    #[test]
    fn every_code_the_gateway_sends_is_in_the_table() {
        let routes = include_str!("../../../nginx/dayone-routes.conf");
        let mut found = 0;
        for line in routes
            .lines()
            .filter(|l| l.trim_start().starts_with("return "))
        {
            let Some((_, rest)) = line.split_once("\"code\":\"") else {
                continue;
            };
            let code = rest.split('"').next().unwrap();
            let status: u16 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
            let row = ErrorCode::ALL
                .iter()
                .find(|c| c.as_str() == code)
                .unwrap_or_else(|| panic!("the gateway's `{code}` is not in the table"));
            // 494 and 497 are sent as 400 (error_page =400).
            assert_eq!(row.status().as_u16(), status, "{code}");
            found += 1;
        }
        assert!(found >= 10, "read {found} of the gateway's answers");
    }

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
