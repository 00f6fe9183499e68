//! Alerts to a Slack-compatible webhook (Slack, Mattermost, Rocket.Chat,
//! Teams through a connector...). Each kind of alert goes out at most once
//! per window across every replica: the first instance to set the kind's
//! key in Redis sends, the rest stay quiet, so a storm is one message.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use crate::redis::Redis;

#[derive(Debug, Clone, Deserialize)]
pub struct AlertSettings {
    /// Empty: alerts are only logged.
    pub webhook_url: String,
    /// At most one message per kind in this many seconds.
    pub window_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertOutcome {
    Sent,
    /// The same kind went out within the window.
    Suppressed,
    /// No webhook configured: logged only.
    Logged,
    Failed,
}

#[derive(Clone)]
pub struct Alerter {
    client: reqwest::Client,
    settings: AlertSettings,
    redis: Redis,
    service: &'static str,
}

impl Alerter {
    pub fn new(settings: AlertSettings, redis: Redis, service: &'static str) -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
            settings,
            redis,
            service,
        }
    }

    /// Raises an alert of `kind` (`disk_space`, `queue_backlog:notification.email`...).
    pub async fn raise(&self, kind: &str, text: &str) -> AlertOutcome {
        tracing::warn!(alert = kind, "{text}");
        let key = self.redis.key(&format!("alert:{kind}"));
        let first = redis::cmd("SET")
            .arg(&key)
            .arg(self.service)
            .arg("NX")
            .arg("EX")
            .arg(self.settings.window_secs.max(1))
            .query_async::<Option<String>>(&mut self.redis.connection())
            .await;
        let outcome = match first {
            Ok(None) => AlertOutcome::Suppressed,
            _ if self.settings.webhook_url.is_empty() => AlertOutcome::Logged,
            // Redis down: better a duplicate than a lost alert.
            Ok(Some(_)) | Err(_) => {
                let body = json!({
                    "username": "Dayone",
                    "text": format!(":rotating_light: *{}* `{kind}`: {text}", self.service),
                });
                match self
                    .client
                    .post(&self.settings.webhook_url)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => AlertOutcome::Sent,
                    Ok(r) => {
                        tracing::error!(status = %r.status(), "the alert webhook refused the alert");
                        AlertOutcome::Failed
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "the alert webhook is unreachable");
                        AlertOutcome::Failed
                    }
                }
            }
        };
        if outcome == AlertOutcome::Failed {
            // Not sent: the next check may try again within the window.
            let _ = redis::cmd("DEL")
                .arg(&key)
                .query_async::<i64>(&mut self.redis.connection())
                .await;
        }
        let label = match outcome {
            AlertOutcome::Sent => "sent",
            AlertOutcome::Suppressed => "suppressed",
            AlertOutcome::Logged => "logged",
            AlertOutcome::Failed => "failed",
        };
        metrics::counter!("alerts_total", "kind" => kind.to_owned(), "outcome" => label)
            .increment(1);
        outcome
    }
}
