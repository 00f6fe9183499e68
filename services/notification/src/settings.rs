use dayone_web::{CommonSettings, ServiceSettings};
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub common: CommonSettings,
    pub notification: NotificationSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NotificationSettings {
    /// Internal callers send it as `X-Service-Token` to use
    /// `POST /v1/notifications` without a user token.
    pub service_token: SecretString,
    /// Signs one-click unsubscribe links.
    pub unsubscribe_secret: SecretString,
    pub email: EmailSettings,
    pub sms: SmsSettings,
    pub apns: ApnsSettings,
    pub fcm: FcmSettings,
    /// How often deferred (quiet-hours) deliveries are looked at.
    pub deferred_sweep_secs: u64,
    /// How long a worker's claim on a delivery lasts: if it dies between
    /// the provider call and its record, another worker takes the delivery
    /// over after this long. Longer than any provider call may take.
    #[serde(default = "default_claim_lease_secs")]
    pub claim_lease_secs: u64,
}

fn default_claim_lease_secs() -> u64 {
    30
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP (a local catcher).
    None,
    /// Upgrade with STARTTLS (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EmailSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    #[serde(default)]
    pub username: String,
    pub password: SecretString,
    /// `Name <address>` the mail comes from.
    pub from: String,
    pub pool_size: u32,
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsProviderKind {
    /// Writes who would get which template to the log (no content).
    Log,
    /// A Twilio-compatible Messages API.
    Twilio,
}

/// The two SMS senders are configured apart: separate numbers (and often
/// separate accounts) for codes and for marketing.
#[derive(Debug, Clone, Deserialize)]
pub struct SmsSettings {
    pub transactional: SmsSenderSettings,
    pub promotional: SmsSenderSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SmsSenderSettings {
    pub provider: SmsProviderKind,
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: SecretString,
    /// The sender number or ID.
    pub from: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ApnsSettings {
    pub enabled: bool,
    /// `https://api.push.apple.com` (or the sandbox); a fake in tests.
    pub base_url: String,
    pub team_id: String,
    pub key_id: String,
    /// The `.p8` token-signing key (PEM).
    pub private_key: SecretString,
    /// The app's bundle id.
    pub topic: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FcmSettings {
    pub enabled: bool,
    /// `https://fcm.googleapis.com`; a fake in tests.
    pub base_url: String,
    pub project_id: String,
    /// The service account's JSON key file content.
    pub service_account: SecretString,
    /// Replaces the key file's `token_uri` (tests point it at the fake).
    #[serde(default)]
    pub token_url: Option<String>,
}

impl ServiceSettings for Settings {
    fn common(&self) -> &CommonSettings {
        &self.common
    }

    fn secrets(&self) -> Vec<(&'static str, &SecretString)> {
        let n = &self.notification;
        let mut secrets = vec![
            ("notification.service_token", &n.service_token),
            ("notification.unsubscribe_secret", &n.unsubscribe_secret),
        ];
        if n.sms.transactional.provider == SmsProviderKind::Twilio {
            secrets.push((
                "notification.sms.transactional.auth_token",
                &n.sms.transactional.auth_token,
            ));
        }
        if n.sms.promotional.provider == SmsProviderKind::Twilio {
            secrets.push((
                "notification.sms.promotional.auth_token",
                &n.sms.promotional.auth_token,
            ));
        }
        if n.apns.enabled {
            secrets.push(("notification.apns.private_key", &n.apns.private_key));
        }
        if n.fcm.enabled {
            secrets.push(("notification.fcm.service_account", &n.fcm.service_account));
        }
        secrets
    }
}
