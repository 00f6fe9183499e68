//! Request plumbing and the router.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, StatusCode, Version};
use serde_json::{Value, json};

use crate::{Received, Shared, apns, control, fcm, oidc, otlp, sentry, slack, sms};

pub type Response = hyper::Response<Full<Bytes>>;

/// A request with its body read.
pub struct Request {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub version: Version,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body).into_owned().collect()
    }

    /// What tests read back: headers (authorization included, for checking)
    /// and the body as JSON (form bodies as an object).
    pub fn received(&self, body: Value, status: StatusCode) -> Received {
        let headers = self
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    Value::String(v.to_str().unwrap_or("").to_owned()),
                )
            })
            .collect::<serde_json::Map<_, _>>();
        Received {
            at: chrono::Utc::now(),
            version: format!("{:?}", self.version),
            path: self.path.clone(),
            headers: Value::Object(headers),
            body,
            status: status.as_u16(),
        }
    }
}

pub fn json(status: StatusCode, body: Value) -> Response {
    respond(status, "application/json", Bytes::from(body.to_string()))
}

/// A response with `body` of `content_type`.
pub fn respond(status: StatusCode, content_type: &'static str, body: Bytes) -> Response {
    let mut response = hyper::Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    response
}

pub async fn handle(state: Shared, req: hyper::Request<Incoming>) -> Result<Response, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let request = Request {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        version: parts.version,
        headers: parts.headers,
        body,
    };
    let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    let response = match (&request.method, segments.as_slice()) {
        (&Method::POST, ["2010-04-01", "Accounts", account, "Messages.json"]) => {
            sms::send(&state, &request, account)
        }
        (&Method::POST, ["token"]) => fcm::token(&state, &request),
        (&Method::POST, ["v1", "projects", project, send]) if *send == "messages:send" => {
            fcm::send(&state, &request, project)
        }
        (&Method::POST, ["3", "device", token]) => apns::send(&state, &request, token),
        (&Method::POST, ["services", _team, _bot, _secret]) => slack::post(&state, &request),
        (&Method::POST, ["api", project, endpoint])
            if matches!(*endpoint, "envelope" | "store") =>
        {
            sentry::ingest(&state, &request, project, endpoint)
        }
        (&Method::POST, ["v1", "traces"]) => otlp::traces(&state, &request),
        (&Method::GET, ["oidc", tenant, ".well-known", "openid-configuration"]) => {
            oidc::discovery(&request, tenant)
        }
        (&Method::GET, ["oidc", _tenant, "jwks"]) => oidc::jwks(&state),
        (&Method::GET, ["oidc", tenant, "authorize"]) => {
            oidc::authorize(&state, &request, tenant, true)
        }
        (&Method::POST, ["oidc", tenant, "token"]) => oidc::token(&state, &request, tenant),
        (&Method::GET, ["github", "login", "oauth", "authorize"]) => {
            oidc::authorize(&state, &request, "github", false)
        }
        (&Method::POST, ["github", "login", "oauth", "access_token"]) => {
            oidc::github_token(&state, &request)
        }
        (&Method::GET, ["github", "api", "user"]) => oidc::github_api(&state, &request, "user"),
        (&Method::GET, ["github", "api", "user", "emails"]) => {
            oidc::github_api(&state, &request, "emails")
        }
        (_, ["_fake", ..]) => control::handle(&state, &request, &segments[1..]),
        _ => json(
            StatusCode::NOT_FOUND,
            json!({"error": "no such fake endpoint"}),
        ),
    };
    tracing::info!(method = %request.method, path = %request.path, status = response.status().as_u16(), "fake request");
    Ok(response)
}
