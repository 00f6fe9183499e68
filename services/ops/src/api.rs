//! Calls to the other services' APIs as the signed-in admin (their own
//! authorization applies: the console is one more client of them). A call
//! carries the console request's id, so what the service logs and reports
//! to the audit log names the request the admin made.

use dayone_telemetry::RequestContext;
use reqwest::Method;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The service answered with an error: its status and message.
    #[error("{status}: {message}")]
    Refused { status: u16, message: String },
    #[error("the API could not be reached: {0}")]
    Unreachable(String),
}

/// `method path` at `api_url` with `token`; the JSON answer (Null when none).
pub async fn call(
    http: &reqwest::Client,
    api_url: &str,
    token: &str,
    method: Method,
    path: &str,
) -> Result<Value, CallError> {
    call_with(http, api_url, token, method, path, None).await
}

/// [`call`] with a JSON body.
pub async fn call_with(
    http: &reqwest::Client,
    api_url: &str,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<Value, CallError> {
    let mut request = http
        .request(method, format!("{api_url}{path}"))
        .bearer_auth(token);
    if let Some(id) = RequestContext::current_request_id() {
        request = request.header("x-request-id", id);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request
        .send()
        .await
        .map_err(|e| CallError::Unreachable(e.to_string()))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        return Ok(body);
    }
    Err(CallError::Refused {
        status: status.as_u16(),
        message: body["message"].as_str().unwrap_or("no message").to_owned(),
    })
}
