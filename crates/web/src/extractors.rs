//! actix-web's extractor errors (bad JSON, forms, query strings, paths) turned into
//! the shared JSON error body, with a status that says what was wrong.

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, Handler, HttpRequest, Responder, web};

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

/// Form bodies (a provider posting its answer back, `form_post`).
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(64 * 1024)
        .error_handler(|err, _req| {
            ApiError::new(ErrorCode::BadRequest, format!("invalid form body: {err}")).into()
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

/// A JSON 405 for a known path with another method, with `Allow`.
fn method_not_allowed(req: &HttpRequest, allow: &str) -> actix_web::HttpResponse {
    let error = ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{} is not allowed on {}", req.method(), req.path()),
    );
    let mut response = actix_web::ResponseError::error_response(&error);
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// A resource whose other methods get the JSON 405 with an `Allow` header
/// naming the ones it has: [`resource`] records each method as it is added.
pub struct Resource {
    inner: actix_web::Resource,
    allow: Vec<&'static str>,
}

/// A resource at `path`; add its methods with `.get(handler)`,
/// `.post(handler)`... as on actix's own.
pub fn resource(path: &str) -> Resource {
    Resource {
        inner: web::resource(path),
        allow: Vec::new(),
    }
}

macro_rules! method {
    ($name:ident, $method:ident) => {
        #[doc = concat!("Handles `", stringify!($method), "`.")]
        pub fn $name<F, Args>(mut self, handler: F) -> Self
        where
            F: Handler<Args>,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            self.allow.push(stringify!($method));
            self.inner = self.inner.$name(handler);
            self
        }
    };
}

impl Resource {
    method!(get, GET);
    method!(post, POST);
    method!(put, PUT);
    method!(patch, PATCH);
    method!(delete, DELETE);

    /// Data for this resource's handlers only.
    pub fn app_data<U: 'static>(mut self, data: U) -> Self {
        self.inner = self.inner.app_data(data);
        self
    }
}

impl HttpServiceFactory for Resource {
    fn register(self, config: &mut AppService) {
        let allow = self.allow.join(", ");
        self.inner
            .default_service(web::to(move |req: HttpRequest| {
                let response = method_not_allowed(&req, &allow);
                async move { response }
            }))
            .register(config);
    }
}

#[cfg(test)]
mod tests {
    use actix_web::{App, HttpResponse, test};

    use super::*;

    #[actix_web::test]
    async fn a_405_names_the_methods_the_resource_has() {
        let app = test::init_service(
            App::new().service(
                resource("/thing")
                    .get(|| async { HttpResponse::Ok().finish() })
                    .patch(|| async { HttpResponse::Ok().finish() }),
            ),
        )
        .await;
        let response =
            test::call_service(&app, test::TestRequest::delete().uri("/thing").to_request()).await;
        assert_eq!(response.status(), 405);
        let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok());
        assert_eq!(header(header::ALLOW), Some("GET, PATCH"));
        assert_eq!(header(header::CONTENT_TYPE), Some("application/json"));
        let ok =
            test::call_service(&app, test::TestRequest::get().uri("/thing").to_request()).await;
        assert_eq!(ok.status(), 200);
    }
}
