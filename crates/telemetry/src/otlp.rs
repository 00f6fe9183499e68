//! OpenTelemetry trace export over OTLP/HTTP (protobuf), off unless an
//! endpoint is configured.
//!
//! Spans are built from our own [`TraceParent`]s rather than by the SDK's
//! tracer: the ids a span is exported with are then exactly the ids in the
//! JSON log lines and in the `traceparent` headers we send over HTTP and
//! AMQP, so a trace found in Kibana is the trace found in Jaeger/Tempo. (The
//! 0.32 SDK tracer always draws its own span ids.) The messages are the
//! official `opentelemetry-proto` ones; batching is a bounded channel drained
//! by one task that posts at most every second, and a full channel drops
//! spans (counted) instead of slowing requests down.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{
    ResourceSpans, ScopeSpans, Span, Status, span, status,
};
use prost::Message;
use tokio::sync::mpsc;

use crate::TraceParent;

/// Spans waiting for export beyond this are dropped.
const QUEUE: usize = 8192;
/// At most this many spans per request.
const BATCH: usize = 512;
const FLUSH_EVERY: Duration = Duration::from_secs(1);

static SENDER: OnceLock<mpsc::Sender<Span>> = OnceLock::new();

/// What a span stands for (OpenTelemetry's span kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An HTTP request this service answered.
    Server,
    /// A message handed to the broker.
    Producer,
    /// A message this service consumed.
    Consumer,
    Internal,
}

/// An attribute value.
#[derive(Debug, Clone)]
pub enum Value {
    Str(String),
    Int(i64),
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::Str(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::Str(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

/// A finished span, ready for export.
#[derive(Debug, Clone)]
pub struct FinishedSpan {
    pub name: String,
    pub kind: Kind,
    /// The span's own trace and span id.
    pub context: TraceParent,
    /// The span it is a child of (`None` for a root).
    pub parent_span_id: Option<String>,
    pub start: SystemTime,
    pub end: SystemTime,
    pub attributes: Vec<(&'static str, Value)>,
    /// Set when the work failed; the span's status becomes `Error`.
    pub error: Option<String>,
}

/// Whether a span of `trace` would be exported: an endpoint is configured
/// and the trace is sampled. Ask before building a [`FinishedSpan`].
pub fn wants(trace: &TraceParent) -> bool {
    trace.sampled && SENDER.get().is_some()
}

/// Queues `span` for export. A no-op when export is off or the trace is not
/// sampled; never blocks.
pub fn record(span: FinishedSpan) {
    let Some(sender) = SENDER.get() else { return };
    if !span.context.sampled {
        return;
    }
    if sender.try_send(to_proto(span)).is_err() {
        metrics::counter!("otlp_spans_dropped_total").increment(1);
    }
}

/// Starts the export task posting to `{endpoint}/v1/traces`. `endpoint` is
/// the collector's OTLP/HTTP base URL (`http://otel-collector:4318`); empty
/// leaves export off. Must run inside a Tokio runtime; a second call is
/// ignored.
pub fn init(endpoint: &str, service: &'static str, instance: &str, environment: &str) {
    let endpoint = endpoint.trim().trim_end_matches('/');
    if endpoint.is_empty() || SENDER.get().is_some() {
        return;
    }
    let (sender, receiver) = mpsc::channel(QUEUE);
    if SENDER.set(sender).is_err() {
        return;
    }
    let url = format!("{endpoint}/v1/traces");
    let resource = Resource {
        attributes: vec![
            attribute("service.name", Value::from(format!("dayone-{service}"))),
            attribute("service.instance.id", Value::from(instance)),
            attribute("deployment.environment.name", Value::from(environment)),
        ],
        ..Default::default()
    };
    tokio::spawn(export_loop(receiver, url, resource));
    tracing::info!(endpoint, "exporting traces over OTLP/HTTP");
}

async fn export_loop(mut receiver: mpsc::Receiver<Span>, url: String, resource: Resource) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    let mut failing = false;
    loop {
        let mut batch = Vec::with_capacity(BATCH);
        // Wait for the first span, then gather what else arrives within the
        // flush interval (or until the batch is full).
        match receiver.recv().await {
            Some(span) => batch.push(span),
            None => return,
        }
        let deadline = tokio::time::Instant::now() + FLUSH_EVERY;
        while batch.len() < BATCH {
            match tokio::time::timeout_at(deadline, receiver.recv()).await {
                Ok(Some(span)) => batch.push(span),
                Ok(None) | Err(_) => break,
            }
        }
        let count = batch.len() as u64;
        let body = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(resource.clone()),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: "dayone".into(),
                        version: env!("CARGO_PKG_VERSION").into(),
                        ..Default::default()
                    }),
                    spans: batch,
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            }],
        }
        .encode_to_vec();
        let sent = client
            .post(&url)
            .header("content-type", "application/x-protobuf")
            .body(body)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => {
                metrics::counter!("otlp_spans_exported_total").increment(count);
                if failing {
                    tracing::info!("the OTLP collector accepts spans again");
                }
                failing = false;
            }
            other => {
                metrics::counter!("otlp_spans_dropped_total").increment(count);
                // One warning per outage, not one per batch.
                if !failing {
                    let why = match other {
                        Ok(r) => format!("status {}", r.status()),
                        Err(e) => e.to_string(),
                    };
                    tracing::warn!(error = why, "could not export spans; dropping them");
                }
                failing = true;
            }
        }
    }
}

fn attribute(key: &str, value: Value) -> KeyValue {
    let value = match value {
        Value::Str(s) => any_value::Value::StringValue(s),
        Value::Int(i) => any_value::Value::IntValue(i),
    };
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn unix_nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn to_proto(span: FinishedSpan) -> Span {
    let kind = match span.kind {
        Kind::Server => span::SpanKind::Server,
        Kind::Producer => span::SpanKind::Producer,
        Kind::Consumer => span::SpanKind::Consumer,
        Kind::Internal => span::SpanKind::Internal,
    };
    let status = match &span.error {
        Some(message) => Status {
            message: message.clone(),
            code: status::StatusCode::Error as i32,
        },
        None => Status::default(),
    };
    Span {
        trace_id: hex_bytes(&span.context.trace_id),
        span_id: hex_bytes(&span.context.span_id),
        parent_span_id: span
            .parent_span_id
            .as_deref()
            .map(hex_bytes)
            .unwrap_or_default(),
        flags: u32::from(span.context.sampled),
        name: span.name,
        kind: kind as i32,
        start_time_unix_nano: unix_nanos(span.start),
        end_time_unix_nano: unix_nanos(span.end),
        attributes: span
            .attributes
            .into_iter()
            .map(|(k, v)| attribute(k, v))
            .collect(),
        status: Some(status),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_carry_our_ids_as_bytes() {
        let parent = TraceParent::new_root();
        let context = parent.child();
        let now = SystemTime::now();
        let proto = to_proto(FinishedSpan {
            name: "GET /v1/things".into(),
            kind: Kind::Server,
            context: context.clone(),
            parent_span_id: Some(parent.span_id.clone()),
            start: now,
            end: now + Duration::from_millis(3),
            attributes: vec![("http.response.status_code", Value::Int(500))],
            error: Some("boom".into()),
        });
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        assert_eq!(hex(&proto.trace_id), context.trace_id);
        assert_eq!(hex(&proto.span_id), context.span_id);
        assert_eq!(hex(&proto.parent_span_id), parent.span_id);
        assert_eq!(proto.kind, span::SpanKind::Server as i32);
        assert_eq!(
            proto.end_time_unix_nano - proto.start_time_unix_nano,
            3_000_000
        );
        assert_eq!(
            proto.status.as_ref().map(|s| s.code),
            Some(status::StatusCode::Error as i32)
        );
        // It survives the wire format a collector decodes.
        let decoded = Span::decode(proto.encode_to_vec().as_slice());
        assert!(decoded.is_ok());
    }
}
