//! SMS. A provider trait with a Twilio-compatible HTTP provider and a log
//! provider for local runs, and two typed senders.
//!
//! [`SmsSender<Transactional>`] only accepts [`TransactionalSms`] jobs and
//! [`SmsSender<Promotional>`] only [`PromotionalSms`] jobs, each with its own
//! provider configuration (numbers, accounts). Promotional content cannot
//! reach the transactional path; the compiler refuses it:
//!
//! ```compile_fail,E0308
//! use dayone_model::messages::notifications::{PromotionalSms, PromotionalSmsTemplate, Recipient};
//! use dayone_notification::channels::sms::{SmsSender, Transactional};
//!
//! async fn leak(sender: &SmsSender<Transactional>) {
//!     let marketing = PromotionalSms {
//!         recipient: Recipient::default(),
//!         template: PromotionalSmsTemplate::Campaign { text: "50% off!".into() },
//!     };
//!     let _ = sender.send("+15550100", &marketing, uuid::Uuid::nil()).await;
//! }
//! ```

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::Duration;

use dayone_model::messages::notifications::{PromotionalSms, Recipient, TransactionalSms};
use secrecy::{ExposeSecret, SecretString};

use super::{SendError, classify, transport};
use crate::settings::{SmsProviderKind, SmsSenderSettings};
use crate::templates;

type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<String, SendError>> + Send + 'a>>;

/// Something that delivers a text to a phone number and returns the
/// provider's message id. `key` is the same for every try at one delivery,
/// so a provider that honours idempotency keys drops a resend.
pub trait SmsProvider: Send + Sync {
    fn send<'a>(&'a self, to: &'a str, body: &'a str, key: uuid::Uuid) -> SendFuture<'a>;
}

/// Twilio's Messages API (or anything speaking it).
pub struct TwilioProvider {
    client: reqwest::Client,
    url: String,
    account_sid: String,
    auth_token: SecretString,
    from: String,
}

impl SmsProvider for TwilioProvider {
    fn send<'a>(&'a self, to: &'a str, body: &'a str, key: uuid::Uuid) -> SendFuture<'a> {
        Box::pin(async move {
            let response = self
                .client
                .post(&self.url)
                .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
                // The request-level idempotency key (IETF draft
                // `Idempotency-Key`), for gateways that drop a repeat.
                .header("idempotency-key", key.to_string())
                .form(&[("To", to), ("From", self.from.as_str()), ("Body", body)])
                .send()
                .await
                .map_err(transport)?;
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            if !status.is_success() {
                // 21211 & co: the number itself is unusable.
                return Err(classify(status, &text));
            }
            let sid = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["sid"].as_str().map(str::to_owned))
                .unwrap_or_default();
            Ok(sid)
        })
    }
}

/// Local runs without an SMS account: records that a text would have gone
/// out, never its content (it may hold a login code).
pub struct LogProvider {
    pub sender: &'static str,
}

impl SmsProvider for LogProvider {
    fn send<'a>(&'a self, to: &'a str, body: &'a str, _key: uuid::Uuid) -> SendFuture<'a> {
        Box::pin(async move {
            tracing::info!(
                sender = self.sender,
                to = %mask(to),
                characters = body.chars().count(),
                "SMS not sent: the log provider is configured"
            );
            Ok(format!("log-{}", uuid::Uuid::new_v4().simple()))
        })
    }
}

/// `+4915112345678` -> `+49151*****678`.
pub fn mask(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 6 {
        return "*".repeat(chars.len());
    }
    let keep_start = 6.min(chars.len() - 3);
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < keep_start || i >= chars.len() - 3 {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

/// A kind of SMS: which job type it carries and how it reads.
pub trait SmsKind: Send + Sync + 'static {
    type Job: Send + Sync;
    const NAME: &'static str;
    fn recipient(job: &Self::Job) -> &Recipient;
    fn text(job: &Self::Job) -> String;
    /// The job's template name.
    fn template(job: &Self::Job) -> &'static str;
}

/// Codes and receipts: never blocked by opt-outs.
pub enum Transactional {}
/// Marketing: respects opt-outs and quiet hours.
pub enum Promotional {}

impl SmsKind for Transactional {
    type Job = TransactionalSms;
    const NAME: &'static str = "transactional";
    fn recipient(job: &TransactionalSms) -> &Recipient {
        &job.recipient
    }
    fn text(job: &TransactionalSms) -> String {
        templates::transactional_sms(&job.template)
    }
    fn template(job: &TransactionalSms) -> &'static str {
        job.template.name()
    }
}

impl SmsKind for Promotional {
    type Job = PromotionalSms;
    const NAME: &'static str = "promotional";
    fn recipient(job: &PromotionalSms) -> &Recipient {
        &job.recipient
    }
    fn text(job: &PromotionalSms) -> String {
        templates::promotional_sms(&job.template)
    }
    fn template(job: &PromotionalSms) -> &'static str {
        job.template.name()
    }
}

/// The sender for one kind of SMS, with that kind's provider configuration.
pub struct SmsSender<K: SmsKind> {
    provider: Box<dyn SmsProvider>,
    _kind: PhantomData<K>,
}

impl<K: SmsKind> SmsSender<K> {
    pub fn new(settings: &SmsSenderSettings) -> anyhow::Result<Self> {
        let provider: Box<dyn SmsProvider> = match settings.provider {
            SmsProviderKind::Log => Box::new(LogProvider { sender: K::NAME }),
            SmsProviderKind::Twilio => Box::new(TwilioProvider {
                client: reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()?,
                url: format!(
                    "{}/2010-04-01/Accounts/{}/Messages.json",
                    settings.base_url.trim_end_matches('/'),
                    settings.account_sid
                ),
                account_sid: settings.account_sid.clone(),
                auth_token: settings.auth_token.clone(),
                from: settings.from.clone(),
            }),
        };
        Ok(Self::with_provider(provider))
    }

    pub fn with_provider(provider: Box<dyn SmsProvider>) -> Self {
        Self {
            provider,
            _kind: PhantomData,
        }
    }

    /// Sends `job` to `to` (E.164) and returns the provider's message id;
    /// `key` identifies the delivery across resends.
    pub async fn send(&self, to: &str, job: &K::Job, key: uuid::Uuid) -> Result<String, SendError> {
        self.provider.send(to, &K::text(job), key).await
    }
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn phone_numbers_are_masked_in_logs() {
        assert_eq!(mask("+4915112345678"), "+49151*****678");
        assert_eq!(mask("+123"), "****");
    }
}
