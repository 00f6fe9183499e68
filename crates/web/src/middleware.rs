//! The request middleware every service wraps itself in. For each request it
//! settles the request id (the gateway's `X-Request-Id` when it is sane,
//! otherwise a new one) and the W3C trace context (a child of an incoming
//! `traceparent`), runs the handler inside a span carrying both, echoes the
//! id in the response, writes one access-log line and records the latency
//! histogram and status counter per route.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use dayone_telemetry::{RequestContext, TraceParent};
use tracing::{Instrument, Level};

pub const REQUEST_ID_HEADER: &str = "x-request-id";
pub const SERVED_BY_HEADER: &str = "x-served-by";

/// `APP_INSTANCE` (e.g. `auth-1`), read once.
fn served_by() -> Option<&'static HeaderValue> {
    static VALUE: std::sync::OnceLock<Option<HeaderValue>> = std::sync::OnceLock::new();
    VALUE
        .get_or_init(|| {
            std::env::var("APP_INSTANCE")
                .ok()
                .and_then(|v| HeaderValue::from_str(&v).ok())
        })
        .as_ref()
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
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let headers = req.headers();
    let request_id = headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| valid_request_id(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let trace = headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(TraceParent::parse)
        .map(|parent| parent.child())
        .unwrap_or_else(TraceParent::new_root);
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
    };
    let started = Instant::now();
    let result = context.scope(next.call(req)).instrument(span.clone()).await;
    let elapsed = started.elapsed();

    let mut response = result?;
    let status = response.status().as_u16();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    span.record("route", route.as_str());
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    // Which instance answered: what an operator needs behind a load balancer.
    if let Some(value) = served_by() {
        response
            .headers_mut()
            .insert(HeaderName::from_static(SERVED_BY_HEADER), value.clone());
    }

    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    let quiet = route.ends_with("/health") || route.ends_with("/ready");
    let _entered = span.enter();
    match (status, quiet) {
        (500.., _) => tracing::event!(Level::ERROR, status, latency_ms, "request completed"),
        (_, true) => tracing::event!(Level::DEBUG, status, latency_ms, "request completed"),
        _ => tracing::event!(Level::INFO, status, latency_ms, "request completed"),
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
