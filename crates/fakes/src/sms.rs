//! Twilio's `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`: basic
//! auth with the account SID, a form body with `To`, `From` and `Body`;
//! `201` with the message resource, errors as Twilio's JSON.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper::StatusCode;
use serde_json::{Value, json};

use crate::Shared;
use crate::http::{Request, Response, json};

fn error(status: StatusCode, code: u32, message: &str) -> Response {
    json(
        status,
        json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status.as_u16(),
        }),
    )
}

fn e164(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or("");
    (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
}

pub fn send(state: &Shared, req: &Request, account: &str) -> Response {
    let form = req.form();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let body = Value::Object(
        form.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    );
    let authorised = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .is_some_and(|creds| {
            creds
                .split_once(':')
                .is_some_and(|(sid, token)| sid == account && !token.is_empty())
        });
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    let response = if !authorised {
        error(StatusCode::UNAUTHORIZED, 20003, "Authenticate")
    } else if let Some(status) = state.take_failure("sms") {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        error(status, 20500, "Internal Server Error")
    } else {
        match (field("To"), field("From"), field("Body")) {
            (None, _, _) => error(
                StatusCode::BAD_REQUEST,
                21604,
                "A 'To' phone number is required.",
            ),
            (_, None, _) => error(
                StatusCode::BAD_REQUEST,
                21603,
                "A 'From' phone number is required.",
            ),
            (_, _, None) => error(StatusCode::BAD_REQUEST, 21602, "Message body is required."),
            (Some(to), _, _) if !e164(&to) => error(
                StatusCode::BAD_REQUEST,
                21211,
                &format!("The 'To' number {to} is not a valid phone number."),
            ),
            (Some(to), Some(from), Some(text)) => {
                // A repeat of an idempotency key is the same message: the
                // first answer again, and nothing new is sent (the request
                // is still recorded, so tests see every call).
                let key = req.header("idempotency-key").map(str::to_owned);
                let first = key.as_ref().and_then(|k| state.sms_keys.get(k)).cloned();
                if let Some(first) = first {
                    let response = json(StatusCode::CREATED, first);
                    let received = req.received(body, response.status());
                    state.sms.push(received);
                    return response;
                }
                let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
                let answer = json!({
                    "sid": sid, "account_sid": account, "to": to, "from": from,
                    "body": text, "status": "queued", "num_segments": "1",
                });
                if let Some(key) = key {
                    state.sms_keys.insert(key, answer.clone());
                }
                json(StatusCode::CREATED, answer)
            }
        }
    };
    let received = req.received(body, response.status());
    state.sms.push(received);
    response
}
