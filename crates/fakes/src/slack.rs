//! Slack's incoming webhooks, `POST /services/{team}/{bot}/{secret}`: a JSON
//! body with a non-empty `text` (or `blocks`); Slack answers `200 ok` in
//! plain text, and errors as plain-text codes (`invalid_payload`,
//! `no_text`).

use bytes::Bytes;
use hyper::StatusCode;
use serde_json::Value;

use crate::Shared;
use crate::http::{Request, Response, respond};

fn text(status: StatusCode, body: &'static str) -> Response {
    respond(
        status,
        "text/plain; charset=utf-8",
        Bytes::from_static(body.as_bytes()),
    )
}

pub fn post(state: &Shared, req: &Request) -> Response {
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    let (response, body) = match req.json() {
        None => (
            text(StatusCode::BAD_REQUEST, "invalid_payload"),
            Value::Null,
        ),
        Some(body) => {
            let has_text = body["text"].as_str().is_some_and(|t| !t.trim().is_empty())
                || body["blocks"].as_array().is_some_and(|b| !b.is_empty());
            if let Some(status) = state.take_failure("slack") {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                (text(status, "internal_error"), body)
            } else if has_text {
                (text(StatusCode::OK, "ok"), body)
            } else {
                (text(StatusCode::BAD_REQUEST, "no_text"), body)
            }
        }
    };
    state.slack.push(req.received(body, response.status()));
    response
}
