//! Sentry's ingest: `POST /api/{project}/envelope/` (what current SDKs send)
//! and the legacy `POST /api/{project}/store/`. Requests must carry the
//! `X-Sentry-Auth` header with a `sentry_key`; each `event` item of an
//! envelope is kept (sessions, client reports and the like are accepted and
//! ignored, as Sentry does), and the answer is Sentry's `{"id": ...}`.

use hyper::StatusCode;
use serde_json::{Value, json};

use crate::Shared;
use crate::http::{Request, Response, json};

pub fn ingest(state: &Shared, req: &Request, project: &str, endpoint: &str) -> Response {
    let authorised = req
        .header("x-sentry-auth")
        .is_some_and(|h| h.contains("sentry_key="));
    if !authorised {
        return json(
            StatusCode::UNAUTHORIZED,
            json!({"detail": "missing authorization information"}),
        );
    }
    let events = match endpoint {
        "store" => req.json().into_iter().collect(),
        _ => match events_of_envelope(&req.body) {
            Some(events) => events,
            None => {
                return json(
                    StatusCode::BAD_REQUEST,
                    json!({"detail": "invalid envelope"}),
                );
            }
        },
    };
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    let mut last_id = Value::Null;
    for mut event in events {
        last_id = event["event_id"].clone();
        event["_project"] = Value::String(project.to_owned());
        crate::keep_recent(&mut state.sentry, req.received(event, StatusCode::OK));
    }
    json(StatusCode::OK, json!({"id": last_id}))
}

/// The `event` items of an envelope: a header line, then per item a header
/// line (with an optional `length`) and its payload.
fn events_of_envelope(body: &[u8]) -> Option<Vec<Value>> {
    let mut rest = body;
    let (envelope_header, after) = split_line(rest)?;
    serde_json::from_slice::<Value>(envelope_header).ok()?;
    rest = after;
    let mut events = Vec::new();
    while !rest.is_empty() {
        let (header, after) = split_line(rest)?;
        if header.is_empty() {
            rest = after;
            continue;
        }
        let header: Value = serde_json::from_slice(header).ok()?;
        let (payload, after) = match header["length"].as_u64() {
            Some(len) => {
                let len = usize::try_from(len).ok()?;
                let payload = after.get(..len)?;
                let after = after.get(len..)?;
                (payload, after.strip_prefix(b"\n").unwrap_or(after))
            }
            None => split_line(after)?,
        };
        if header["type"] == "event" {
            events.push(serde_json::from_slice(payload).ok()?);
        }
        rest = after;
    }
    Some(events)
}

fn split_line(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    match bytes.iter().position(|b| *b == b'\n') {
        Some(i) => Some((&bytes[..i], &bytes[i + 1..])),
        None => Some((bytes, &[])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_event_items_with_and_without_length() {
        let event = r#"{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","level":"error"}"#;
        let body = format!(
            "{{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}}\n\
             {{\"type\":\"event\",\"length\":{}}}\n{event}\n\
             {{\"type\":\"session\"}}\n{{\"sid\":\"x\"}}\n\
             {{\"type\":\"event\"}}\n{event}\n",
            event.len()
        );
        let events = events_of_envelope(body.as_bytes()).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0]["level"], "error");
        assert!(events_of_envelope(b"not json\n").is_none());
    }
}
