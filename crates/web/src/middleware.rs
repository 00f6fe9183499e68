//! The request middleware every service wraps itself in. For each request it
//! settles the request id (the gateway's `X-Request-Id` when it is sane,
//! otherwise a new one) and the W3C trace context (a child of an incoming
//! `traceparent`), runs the handler inside a span carrying both, echoes the
//! id in the response, writes one access-log line (method, route, status,
//! latency, sizes, user) and records the latency histogram and status
//! counter per route. At debug level it also logs JSON request and response
//! bodies, redacted ([`dayone_telemetry::redact`]). A 5xx or a panic is
//! reported ([`crate::reporting`]); a panic becomes a 500 with the usual
//! error body. Each request is exported as a server span when OTLP is on.

use std::panic::AssertUnwindSafe;
use std::time::{Instant, SystemTime};

use actix_web::ResponseError;
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use dayone_telemetry::otlp::{self, FinishedSpan, Kind};
use dayone_telemetry::redact::loggable_body;
use dayone_telemetry::{RequestContext, TraceParent};
use futures_util::FutureExt;
use tracing::{Instrument, Level};

use crate::error::ApiError;
use crate::input::{is_json, read_json_body};
use crate::reporting::{ErrorReporter, ServerError};

pub const REQUEST_ID_HEADER: &str = "x-request-id";
pub const SERVED_BY_HEADER: &str = "x-served-by";
/// Set by the gateway when it started the request's trace.
pub const TRACE_ROOT_HEADER: &str = "x-trace-root";

/// What every answer says about the service, set once when it starts.
#[derive(Debug, Clone, Default)]
pub struct ResponsePolicy {
    /// `X-Served-By`: `APP_INSTANCE` (e.g. `auth-1`) when
    /// `application.expose_instance` is on.
    pub served_by: Option<HeaderValue>,
}

impl ResponsePolicy {
    pub fn new(instance: Option<&str>, expose_instance: bool) -> Self {
        Self {
            served_by: instance
                .filter(|_| expose_instance)
                .and_then(|v| HeaderValue::from_str(v).ok()),
        }
    }
}

/// Accepts a client's request id only when it is a short plain token, so it
/// cannot inject anything into logs or headers.
fn valid_request_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

pub async fn observe(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let headers = req.headers();
    let request_id = headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| valid_request_id(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let parent = headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(TraceParent::parse);
    // The gateway says when it started the trace itself (it exports no
    // spans, so the sampling decision falls to this service).
    let gateway_root = headers.contains_key(TRACE_ROOT_HEADER);
    let trace = match &parent {
        Some(parent) if gateway_root => parent.child_deciding(),
        Some(parent) => parent.child(),
        None => TraceParent::new_root(),
    };
    let request_bytes = content_length(headers);
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let span = tracing::info_span!(
        "http_request",
        request_id = %request_id,
        trace_id = %trace.trace_id,
        span_id = %trace.span_id,
        method = %method,
        path = %path,
        route = tracing::field::Empty,
        user_id = tracing::field::Empty,
    );
    let context = RequestContext {
        request_id: request_id.clone(),
        trace,
        user: Default::default(),
    };
    let reporter = req.app_data::<web::Data<ErrorReporter>>().cloned();
    let served_by = req
        .app_data::<web::Data<ResponsePolicy>>()
        .and_then(|p| p.served_by.clone());
    let body_limit = req
        .app_data::<web::Data<BodyLogging>>()
        .map_or(0, |b| b.limit_bytes);
    let log_bodies = body_limit > 0 && span.in_scope(|| tracing::enabled!(Level::DEBUG));
    if log_bodies && is_json(req.headers()) {
        let body = read_json_body(&mut req).await?;
        span.in_scope(|| {
            tracing::debug!(body = %loggable_body(&body, body_limit), "request body");
        });
        req.set_payload(Payload::from(body));
    }

    // Known before the handler runs: a panicking handler takes its request
    // with it.
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let started = Instant::now();
    let started_at = SystemTime::now();
    let result = AssertUnwindSafe(context.clone().scope(next.call(req)))
        .catch_unwind()
        .instrument(span.clone())
        .await;
    let elapsed = started.elapsed();

    let (mut response, panicked) = match result {
        Ok(response) => (response?.map_into_boxed_body(), false),
        Err(_) => {
            // The panic hook has logged and reported it; the client gets
            // the usual error body and the worker lives on.
            let body = ApiError::internal(anyhow::anyhow!("the handler panicked"));
            let response = context
                .clone()
                .scope(async move { body.error_response() })
                .await;
            // The request went down with the handler; nothing after this
            // middleware reads it, so a stand-in carries the response out.
            let stand_in = actix_web::test::TestRequest::default().to_http_request();
            (ServiceResponse::new(stand_in, response), true)
        }
    };
    let status = response.status().as_u16();
    span.record("route", route.as_str());
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    // Which instance answered: what an operator needs behind a load balancer.
    let headers = response.headers_mut();
    if let Some(value) = served_by {
        headers.insert(HeaderName::from_static(SERVED_BY_HEADER), value);
    }
    // A JSON answer is never to be sniffed as anything else, and an answer
    // meant for one caller (tokens, secrets, accounts) is never stored by a
    // cache on the way; a route that may be cached says so itself (JWKS).
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if log_bodies && is_json(response.headers()) {
        let (http_request, res) = response.into_parts();
        let (res, body) = res.into_parts();
        let bytes = actix_web::body::to_bytes(body).await.unwrap_or_default();
        span.in_scope(|| {
            tracing::debug!(body = %loggable_body(&bytes, body_limit), "response body");
        });
        response = ServiceResponse::new(http_request, res.set_body(BoxBody::new(bytes)));
    }
    let response_bytes = match response.response().body().size() {
        BodySize::Sized(n) => Some(n),
        BodySize::None => Some(0),
        BodySize::Stream => None,
    };

    // A 503 from /ready is the probe's answer, not a failure to report.
    let quiet = route.ends_with("/health") || route.ends_with("/ready");
    if let Some(reporter) = reporter.as_ref().filter(|_| status >= 500 && !quiet) {
        let (code, cause) = describe_error(&response, panicked);
        reporter.report(
            ServerError {
                method: method.clone(),
                route: route.clone(),
                status,
                code,
                cause,
                panicked,
            },
            &context,
        );
    }

    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    {
        let _entered = span.enter();
        match (status, quiet) {
            (500.., _) => tracing::event!(
                Level::ERROR,
                status,
                latency_ms,
                request_bytes,
                response_bytes,
                "request completed"
            ),
            (_, true) => tracing::event!(
                Level::DEBUG,
                status,
                latency_ms,
                request_bytes,
                response_bytes,
                "request completed"
            ),
            _ => tracing::event!(
                Level::INFO,
                status,
                latency_ms,
                request_bytes,
                response_bytes,
                "request completed"
            ),
        }
    }
    if !quiet && otlp::wants(&context.trace) {
        otlp::record(FinishedSpan {
            name: format!("{method} {route}"),
            kind: Kind::Server,
            context: context.trace.clone(),
            parent_span_id: parent.map(|p| p.span_id),
            start: started_at,
            end: started_at + elapsed,
            attributes: vec![
                ("http.request.method", method.as_str().into()),
                ("http.route", route.as_str().into()),
                ("url.path", path.into()),
                ("http.response.status_code", i64::from(status).into()),
                ("request_id", request_id.into()),
            ],
            error: (status >= 500).then(|| format!("status {status}")),
        });
    }
    metrics::histogram!(
        "http_server_request_duration_seconds",
        "method" => method.clone(),
        "route" => route.clone(),
    )
    .record(elapsed.as_secs_f64());
    metrics::counter!(
        "http_server_requests_total",
        "method" => method,
        "route" => route,
        "status" => status.to_string(),
    )
    .increment(1);
    Ok(response)
}

/// How much request and response body the debug log may show.
#[derive(Debug, Clone, Copy)]
pub struct BodyLogging {
    /// 0: never.
    pub limit_bytes: usize,
}

fn content_length(headers: &actix_web::http::header::HeaderMap) -> Option<u64> {
    headers
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// The error code and internal cause of a 5xx, for the report.
fn describe_error(response: &ServiceResponse<BoxBody>, panicked: bool) -> (String, String) {
    if panicked {
        return ("panic".to_owned(), "the handler panicked".to_owned());
    }
    match response.response().error() {
        Some(error) => match error.as_error::<ApiError>() {
            Some(api) => (api.code().as_str().to_owned(), api.cause()),
            None => ("internal_error".to_owned(), error.to_string()),
        },
        None => (
            "internal_error".to_owned(),
            format!("status {}", response.status()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::valid_request_id;

    #[test]
    fn request_ids_must_be_plain_tokens() {
        assert!(valid_request_id("4f1c2a9e-aaaa-4bbb-8ccc-123456789abc"));
        assert!(valid_request_id("req_01:x.y"));
        assert!(!valid_request_id(""));
        assert!(!valid_request_id("a b"));
        assert!(!valid_request_id("x\ny"));
        assert!(!valid_request_id(&"a".repeat(129)));
    }
}
