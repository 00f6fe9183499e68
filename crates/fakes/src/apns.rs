//! APNs: `POST /3/device/{token}` over HTTP/2 with a provider token (an
//! ES256 JWT naming the team in `iss` and the key in `kid`), `apns-topic`
//! and `apns-push-type` headers and an `aps` payload. Answers 200 with an
//! `apns-id`, or Apple's `{"reason": ...}` errors.

use hyper::{StatusCode, Version};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

use crate::Shared;
use crate::http::{Request, Response, json};

fn reason(status: StatusCode, reason: &str) -> Response {
    let mut body = json!({ "reason": reason });
    if status == StatusCode::GONE {
        body["timestamp"] = json!(chrono::Utc::now().timestamp_millis());
    }
    json(status, body)
}

fn provider_token_ok(req: &Request, key: Option<&str>) -> Result<(), &'static str> {
    let token = req
        .header("authorization")
        .and_then(|h| {
            h.strip_prefix("bearer ")
                .or_else(|| h.strip_prefix("Bearer "))
        })
        .ok_or("MissingProviderToken")?;
    let header = jsonwebtoken::decode_header(token).map_err(|_| "InvalidProviderToken")?;
    if header.alg != Algorithm::ES256 || header.kid.is_none() {
        return Err("InvalidProviderToken");
    }
    let claims: Value = match key {
        Some(pem) => {
            let key =
                DecodingKey::from_ec_pem(pem.as_bytes()).map_err(|_| "InvalidProviderToken")?;
            let mut validation = Validation::new(Algorithm::ES256);
            validation.required_spec_claims.clear();
            validation.validate_exp = false;
            jsonwebtoken::decode::<Value>(token, &key, &validation)
                .map_err(|_| "InvalidProviderToken")?
                .claims
        }
        None => {
            jsonwebtoken::dangerous::insecure_decode::<Value>(token)
                .map_err(|_| "InvalidProviderToken")?
                .claims
        }
    };
    let issued = claims["iat"].as_i64().ok_or("InvalidProviderToken")?;
    if claims["iss"].as_str().is_none_or(str::is_empty) {
        return Err("InvalidProviderToken");
    }
    // Apple refuses provider tokens older than an hour.
    if chrono::Utc::now().timestamp() - issued > 3600 {
        return Err("ExpiredProviderToken");
    }
    Ok(())
}

pub fn send(state: &Shared, req: &Request, device: &str) -> Response {
    let body = req.json();
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    let key = state.keys.apns_public_key.clone();
    let response = if req.version != Version::HTTP_2 {
        reason(StatusCode::HTTP_VERSION_NOT_SUPPORTED, "HTTP/2 is required")
    } else if let Err(why) = provider_token_ok(req, key.as_deref()) {
        reason(StatusCode::FORBIDDEN, why)
    } else if req.header("apns-topic").is_none_or(str::is_empty) {
        reason(StatusCode::BAD_REQUEST, "MissingTopic")
    } else if req.header("apns-push-type").is_some_and(|t| {
        ![
            "alert",
            "background",
            "voip",
            "complication",
            "fileprovider",
            "mdm",
            "liveactivity",
        ]
        .contains(&t)
    }) {
        reason(StatusCode::BAD_REQUEST, "InvalidPushType")
    } else if device.len() != 64 || !device.chars().all(|c| c.is_ascii_hexdigit()) {
        reason(StatusCode::BAD_REQUEST, "BadDeviceToken")
    } else if !body.as_ref().is_some_and(|b| b["aps"].is_object()) {
        reason(StatusCode::BAD_REQUEST, "PayloadEmpty")
    } else if let Some(status) = state.take_failure("apns") {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let why = match status.as_u16() {
            429 => "TooManyRequests",
            500 => "InternalServerError",
            _ => "ServiceUnavailable",
        };
        reason(status, why)
    } else if state.is_unregistered("apns", device) {
        reason(StatusCode::GONE, "Unregistered")
    } else {
        let mut ok = json(StatusCode::OK, Value::Null);
        *ok.body_mut() = Default::default();
        if let Ok(id) = hyper::header::HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
            ok.headers_mut().insert("apns-id", id);
        }
        ok
    };
    let received = req.received(body.unwrap_or(Value::Null), response.status());
    state.apns.push(received);
    response
}
