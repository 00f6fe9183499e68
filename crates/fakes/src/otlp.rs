//! An OpenTelemetry collector's OTLP/HTTP trace receiver: `POST /v1/traces`
//! with a protobuf `ExportTraceServiceRequest`, decoded with the official
//! messages. Each span is kept flattened for tests: hex ids, name, kind,
//! the exporting service and the attributes.

use hyper::StatusCode;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use prost::Message;
use serde_json::{Map, Value, json};

use crate::Shared;
use crate::http::{Request, Response, json};

pub fn traces(state: &Shared, req: &Request) -> Response {
    if req
        .header("content-type")
        .is_none_or(|t| !t.starts_with("application/x-protobuf"))
    {
        return json(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            json!({"error": "this receiver takes application/x-protobuf"}),
        );
    }
    let Ok(export) = ExportTraceServiceRequest::decode(req.body.as_ref()) else {
        return json(
            StatusCode::BAD_REQUEST,
            json!({"error": "not an ExportTraceServiceRequest"}),
        );
    };
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    for resource_spans in export.resource_spans {
        let resource = resource_spans
            .resource
            .map(|r| attributes(&r.attributes))
            .unwrap_or_default();
        for scope in resource_spans.scope_spans {
            for span in scope.spans {
                let flat = json!({
                    "trace_id": hex(&span.trace_id),
                    "span_id": hex(&span.span_id),
                    "parent_span_id": hex(&span.parent_span_id),
                    "name": span.name,
                    "kind": span.kind().as_str_name(),
                    "service": resource.get("service.name").cloned().unwrap_or(Value::Null),
                    "start_unix_nano": span.start_time_unix_nano,
                    "end_unix_nano": span.end_time_unix_nano,
                    "status_code": span.status.map(|s| s.code),
                    "attributes": Value::Object(attributes(&span.attributes)),
                });
                crate::keep_recent(&mut state.spans, req.received(flat, StatusCode::OK));
            }
        }
    }
    // An empty ExportTraceServiceResponse.
    crate::http::respond(
        StatusCode::OK,
        "application/x-protobuf",
        bytes::Bytes::new(),
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attributes(list: &[KeyValue]) -> Map<String, Value> {
    list.iter()
        .map(|kv| {
            let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(any_value::Value::StringValue(s)) => Value::String(s.clone()),
                Some(any_value::Value::IntValue(i)) => Value::from(*i),
                Some(any_value::Value::BoolValue(b)) => Value::from(*b),
                Some(any_value::Value::DoubleValue(d)) => Value::from(*d),
                _ => Value::Null,
            };
            (kv.key.clone(), value)
        })
        .collect()
}
