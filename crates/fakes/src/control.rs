//! `/_fake/...`: what tests read and script.
//!
//! - `GET /_fake/{sms,fcm,apns,slack,sentry,spans}`: the requests received, oldest first;
//! - `POST /_fake/fail` `{"channel", "status", "times"}`: scripted failures;
//! - `POST /_fake/unregistered` `{"channel", "token"}`: a device token the
//!   provider reports gone;
//! - `DELETE /_fake`: forget everything.

use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use crate::http::{Request, Response, json};
use crate::{Failure, Shared};

pub fn handle(state: &Shared, req: &Request, rest: &[&str]) -> Response {
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    match (&req.method, rest) {
        (&Method::GET, [channel]) => {
            let Some(list) = state.channel(channel) else {
                return json(StatusCode::NOT_FOUND, json!({"error": "no such channel"}));
            };
            json(
                StatusCode::OK,
                serde_json::to_value(list).unwrap_or(Value::Null),
            )
        }
        (&Method::POST, ["fail"]) => match serde_json::from_slice::<Failure>(&req.body) {
            Ok(failure) => {
                state.failures.push(failure);
                json(StatusCode::OK, json!({"ok": true}))
            }
            Err(e) => json(StatusCode::BAD_REQUEST, json!({"error": e.to_string()})),
        },
        (&Method::POST, ["unregistered"]) => {
            let body = req.json().unwrap_or(Value::Null);
            match (body["channel"].as_str(), body["token"].as_str()) {
                (Some(channel), Some(token)) => {
                    state
                        .unregistered
                        .push((channel.to_owned(), token.to_owned()));
                    json(StatusCode::OK, json!({"ok": true}))
                }
                _ => json(
                    StatusCode::BAD_REQUEST,
                    json!({"error": "channel and token are required"}),
                ),
            }
        }
        (&Method::DELETE, []) => {
            state.reset();
            json(StatusCode::OK, json!({"ok": true}))
        }
        _ => json(
            StatusCode::NOT_FOUND,
            json!({"error": "no such control endpoint"}),
        ),
    }
}
