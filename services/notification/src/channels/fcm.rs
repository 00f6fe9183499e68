//! Firebase Cloud Messaging, HTTP v1 API (the legacy API is shut down).
//!
//! Of the candidates: `fcm_v1` is built on reqwest 0.11 (a second HTTP
//! stack), and `fcm-service` builds a new client and fetches a new OAuth
//! token on every send. `gcp_auth` (token cache, honours the key file's
//! `token_uri`, aws-lc-rs like the rest of the build) plus the reqwest
//! client the service already has does the job: one `messages:send` call.

use std::collections::BTreeMap;
use std::time::Duration;

use dayone_web::settings::strip_dev_marker;
use gcp_auth::{CustomServiceAccount, TokenProvider};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::{SendError, classify, transport};
use crate::settings::FcmSettings;

const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

pub struct Fcm {
    client: reqwest::Client,
    url: String,
    account: CustomServiceAccount,
}

impl Fcm {
    pub fn new(settings: &FcmSettings) -> anyhow::Result<Self> {
        let mut key: Value = serde_json::from_str(strip_dev_marker(
            settings.service_account.expose_secret().trim(),
        ))
        .map_err(|e| anyhow::anyhow!("notification.fcm.service_account is not a key file: {e}"))?;
        if let Some(token_url) = &settings.token_url {
            key["token_uri"] = Value::String(token_url.clone());
        }
        let account = CustomServiceAccount::from_json(&key.to_string())
            .map_err(|e| anyhow::anyhow!("notification.fcm.service_account was refused: {e}"))?;
        Ok(Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
            url: format!(
                "{}/v1/projects/{}/messages:send",
                settings.base_url.trim_end_matches('/'),
                settings.project_id
            ),
            account,
        })
    }

    /// Sends to one device; returns the message name FCM assigned.
    /// FCM has no request idempotency key; `key` (the delivery's uuid)
    /// travels as `data.dayone_delivery_id`, the same on every resend, so
    /// the app can drop a second copy.
    pub async fn send(
        &self,
        device: &str,
        title: &str,
        body: &str,
        data: &BTreeMap<String, String>,
        key: uuid::Uuid,
    ) -> Result<String, SendError> {
        let token = self
            .account
            .token(&[SCOPE])
            .await
            .map_err(|e| SendError::Transient(format!("no FCM access token: {e}")))?;
        let mut message = json!({
            "token": device,
            "notification": { "title": title, "body": body },
        });
        let mut data = data.clone();
        data.insert("dayone_delivery_id".into(), key.to_string());
        message["data"] = json!(data);
        let response = self
            .client
            .post(&self.url)
            .bearer_auth(token.as_str())
            .json(&json!({ "message": message }))
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(answer["name"].as_str().unwrap_or_default().to_owned());
        }
        let code = answer["error"]["details"]
            .as_array()
            .and_then(|details| details.iter().find_map(|d| d["errorCode"].as_str()))
            .unwrap_or_default();
        match code {
            "UNREGISTERED" | "INVALID_ARGUMENT" | "SENDER_ID_MISMATCH" => {
                Err(SendError::InvalidToken(code.to_owned()))
            }
            _ => Err(classify(status, &text)),
        }
    }
}
