//! actix-web's extractor errors (bad JSON, query strings, paths) turned into
//! the shared JSON error body, with a status that says what was wrong.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{HttpRequest, web};

use crate::error::{ApiError, ErrorCode};

/// The JSON body limit services accept (the gateway allows 1 MiB too).
pub const JSON_LIMIT: usize = 1024 * 1024;

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_LIMIT)
        .error_handler(|err, _req: &HttpRequest| json_error(err).into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        let message = match err {
            QueryPayloadError::Deserialize(e) => format!("invalid query string: {e}"),
            other => format!("invalid query string: {other}"),
        };
        ApiError::new(ErrorCode::InvalidQuery, message).into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| {
        let message = match err {
            PathError::Deserialize(e) => format!("invalid path parameter: {e}"),
            other => format!("invalid path parameter: {other}"),
        };
        ApiError::new(ErrorCode::InvalidPath, message).into()
    })
}

fn json_error(err: JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::ContentType => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "expected a JSON body with Content-Type: application/json",
        ),
        JsonPayloadError::Overflow { limit }
        | JsonPayloadError::OverflowKnownLength { limit, .. } => ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the JSON body is larger than {limit} bytes"),
        ),
        JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::new(
            ErrorCode::ValidationFailed,
            format!("the JSON body does not have the expected shape: {e}"),
        ),
        JsonPayloadError::Deserialize(e) => ApiError::new(
            ErrorCode::InvalidJson,
            format!("the body is not valid JSON: {e}"),
        ),
        other => ApiError::new(
            ErrorCode::BadRequest,
            format!("could not read the body: {other}"),
        ),
    }
}

/// The default service: a JSON 404 for any path no route matches.
pub async fn not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorCode::NotFound,
        format!("no route for {} {}", req.method(), req.path()),
    ))
}

/// A JSON 405 for a known path with another method.
pub async fn method_not_allowed(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{} is not allowed on {}", req.method(), req.path()),
    ))
}

/// A resource whose unsupported methods get the JSON 405.
pub fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}
