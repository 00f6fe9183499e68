//! FCM HTTP v1: the OAuth 2.0 token endpoint a service account's signed JWT
//! is exchanged at (`POST /token`), and
//! `POST /v1/projects/{project}/messages:send` with the access token.

use hyper::StatusCode;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

use crate::Shared;
use crate::http::{Request, Response, json};

const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

fn oauth_error(description: &str) -> Response {
    json(
        StatusCode::BAD_REQUEST,
        json!({"error": "invalid_grant", "error_description": description}),
    )
}

pub fn token(state: &Shared, req: &Request) -> Response {
    let form = req.form();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    if field("grant_type").as_deref() != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return json(
            StatusCode::BAD_REQUEST,
            json!({"error": "unsupported_grant_type"}),
        );
    }
    let Some(assertion) = field("assertion") else {
        return oauth_error("Missing assertion.");
    };
    // Google accepts segments with base64 padding (gcp_auth sends it);
    // jsonwebtoken wants them unpadded.
    let assertion = assertion
        .split('.')
        .map(|part| part.trim_end_matches('='))
        .collect::<Vec<_>>()
        .join(".");
    let Ok(header) = jsonwebtoken::decode_header(&assertion) else {
        return oauth_error("Invalid JWT.");
    };
    if header.alg != Algorithm::RS256 {
        return oauth_error("Invalid JWT: the service account signs with RS256.");
    }
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    let claims: Result<Value, String> = match &state.keys.fcm_public_key {
        Some(pem) => DecodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|e| e.to_string())
            .and_then(|key| {
                let mut validation = Validation::new(Algorithm::RS256);
                validation.validate_aud = false;
                jsonwebtoken::decode::<Value>(&assertion, &key, &validation)
                    .map(|d| d.claims)
                    .map_err(|e| e.to_string())
            }),
        None => jsonwebtoken::dangerous::insecure_decode::<Value>(&assertion)
            .map(|d| d.claims)
            .map_err(|e| e.to_string()),
    };
    let claims = match claims {
        Ok(claims) => claims,
        Err(why) => return oauth_error(&format!("Invalid JWT Signature ({why}).")),
    };
    let scopes = claims["scope"].as_str().unwrap_or("");
    if claims["iss"].as_str().is_none_or(str::is_empty)
        || !scopes
            .split(' ')
            .any(|s| s == SCOPE || s.ends_with("/cloud-platform"))
    {
        return oauth_error("Invalid JWT: iss and a messaging scope are required.");
    }
    let token = format!("ya29.fake-{}", uuid::Uuid::new_v4().simple());
    state.tokens.push(token.clone());
    json(
        StatusCode::OK,
        json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}),
    )
}

fn google_error(
    status: StatusCode,
    google_status: &str,
    message: &str,
    fcm_code: Option<&str>,
) -> Response {
    let mut error = json!({"code": status.as_u16(), "message": message, "status": google_status});
    if let Some(code) = fcm_code {
        error["details"] = json!([{
            "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
            "errorCode": code,
        }]);
    }
    json(status, json!({ "error": error }))
}

pub fn send(state: &Shared, req: &Request, project: &str) -> Response {
    let body = req.json().unwrap_or(Value::Null);
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    let bearer = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "));
    let message = &body["message"];
    let device = message["token"].as_str().unwrap_or("");
    let data_ok = message["data"]
        .as_object()
        .is_none_or(|d| d.values().all(Value::is_string));
    let response = if !bearer.is_some_and(|t| state.tokens.iter().any(|issued| issued == t)) {
        google_error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token.",
            None,
        )
    } else if let Some(status) = state.take_failure("fcm") {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let (google, code) = match status.as_u16() {
            429 => ("RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"),
            500 => ("INTERNAL", "INTERNAL"),
            _ => ("UNAVAILABLE", "UNAVAILABLE"),
        };
        google_error(
            status,
            google,
            "The service is currently unavailable.",
            Some(code),
        )
    } else if device.is_empty() || !message.is_object() || !data_ok {
        google_error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "Request contains an invalid argument.",
            Some("INVALID_ARGUMENT"),
        )
    } else if state.is_unregistered("fcm", device) {
        google_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "Requested entity was not found.",
            Some("UNREGISTERED"),
        )
    } else {
        json(
            StatusCode::OK,
            json!({"name": format!("projects/{project}/messages/{}", uuid::Uuid::new_v4().simple())}),
        )
    };
    let received = req.received(body, response.status());
    state.fcm.push(received);
    response
}
