//! APNs over HTTP/2 with token (`.p8`) authentication.
//!
//! a2 0.10 only knows Apple's two hosts and would add a second rustls and
//! ring to the build just for its payload type and token signing; this is
//! the same protocol in a few lines on the HTTP/2 client the service
//! already has, with the base URL a setting (a local fake in tests). The
//! provider token is an ES256 JWT (`iss` = team id, `kid` = key id), reused
//! for 50 minutes (Apple accepts 20 to 60).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use dayone_web::settings::strip_dev_marker;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::{SendError, classify, transport};
use crate::settings::ApnsSettings;

const TOKEN_LIFETIME: Duration = Duration::from_secs(50 * 60);

pub struct Apns {
    client: reqwest::Client,
    base_url: String,
    topic: String,
    team_id: String,
    key_id: String,
    key: EncodingKey,
    token: Mutex<Option<(String, Instant)>>,
}

impl Apns {
    pub fn new(settings: &ApnsSettings) -> anyhow::Result<Self> {
        let pem = strip_dev_marker(settings.private_key.expose_secret().trim());
        let key = EncodingKey::from_ec_pem(pem.as_bytes()).map_err(|e| {
            anyhow::anyhow!("notification.apns.private_key is not an EC P-256 PEM: {e}")
        })?;
        let builder = reqwest::Client::builder().timeout(Duration::from_secs(10));
        // Apple speaks HTTP/2 over TLS (negotiated by ALPN); a local fake
        // speaks it in cleartext, which needs prior knowledge.
        let builder = if settings.base_url.starts_with("http://") {
            builder.http2_prior_knowledge()
        } else {
            builder
        };
        Ok(Self {
            client: builder.build()?,
            base_url: settings.base_url.trim_end_matches('/').to_owned(),
            topic: settings.topic.clone(),
            team_id: settings.team_id.clone(),
            key_id: settings.key_id.clone(),
            key,
            token: Mutex::new(None),
        })
    }

    async fn provider_token(&self) -> Result<String, SendError> {
        let mut cached = self.token.lock().await;
        if let Some((token, made)) = cached.as_ref()
            && made.elapsed() < TOKEN_LIFETIME
        {
            return Ok(token.clone());
        }
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.key_id.clone());
        let claims = json!({ "iss": self.team_id, "iat": chrono::Utc::now().timestamp() });
        let token = jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| SendError::Permanent(format!("could not sign the provider token: {e}")))?;
        *cached = Some((token.clone(), Instant::now()));
        Ok(token)
    }

    /// Sends an alert to one device; returns the `apns-id`.
    /// `key` (the delivery's uuid) goes out as `apns-id`: every resend of
    /// one delivery carries the same id.
    pub async fn send(
        &self,
        device: &str,
        title: &str,
        body: &str,
        data: &BTreeMap<String, String>,
        key: uuid::Uuid,
    ) -> Result<String, SendError> {
        let mut payload = json!({
            "aps": { "alert": { "title": title, "body": body }, "sound": "default" }
        });
        for (key, value) in data {
            if key != "aps" {
                payload[key] = Value::String(value.clone());
            }
        }
        let response = self
            .client
            .post(format!("{}/3/device/{device}", self.base_url))
            .header(
                "authorization",
                format!("bearer {}", self.provider_token().await?),
            )
            .header("apns-topic", &self.topic)
            .header("apns-push-type", "alert")
            .header("apns-priority", "10")
            .header("apns-id", key.to_string())
            .json(&payload)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let apns_id = response
            .headers()
            .get("apns-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if status.is_success() {
            return Ok(apns_id);
        }
        let text = response.text().await.unwrap_or_default();
        let reason = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["reason"].as_str().map(str::to_owned))
            .unwrap_or_default();
        match reason.as_str() {
            "Unregistered" | "BadDeviceToken" | "DeviceTokenNotForTopic" => {
                Err(SendError::InvalidToken(reason))
            }
            "ExpiredProviderToken" => {
                *self.token.lock().await = None;
                Err(SendError::Transient(reason))
            }
            _ => Err(classify(status, &text)),
        }
    }
}
