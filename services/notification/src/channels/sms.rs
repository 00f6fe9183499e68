//! SMS. A provider trait with a Twilio-compatible HTTP provider and a log
//! provider for local runs, and two typed senders.
//!
//! [`SmsSender<Transactional>`] only sends an [`SmsText<Transactional>`] and
//! [`SmsSender<Promotional>`] only an [`SmsText<Promotional>`], each with its
//! own provider configuration (numbers, accounts). A text of a kind is only
//! made from a template of that category (a template's category never
//! changes), and the typed jobs only name templates of theirs. Promotional
//! content cannot reach the transactional path; the compiler refuses it:
//!
//! ```compile_fail,E0308
//! use dayone_model::messages::notifications::Category;
//! use dayone_notification::channels::sms::{Promotional, SmsSender, SmsText, Transactional};
//!
//! async fn leak(sender: &SmsSender<Transactional>) {
//!     let marketing =
//!         SmsText::<Promotional>::new(Category::Promotional, "50% off!".into()).unwrap();
//!     let _ = sender.send("+15550100", &marketing, uuid::Uuid::nil()).await;
//! }
//! ```

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::Duration;

use dayone_model::messages::notifications::{
    Category, PromotionalSms, Recipient, TransactionalSms,
};
use secrecy::{ExposeSecret, SecretString};

use super::{SendError, classify, transport};
use crate::settings::{SmsProviderKind, SmsSenderSettings};
use crate::templates::builtin;

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

/// A kind of SMS: its category and the typed job that carries it.
pub trait SmsKind: Send + Sync + 'static {
    type Job: Send + Sync;
    const NAME: &'static str;
    /// The category of every template a text of this kind is made from.
    const CATEGORY: Category;
    fn recipient(job: &Self::Job) -> &Recipient;
    /// The job's template key and variables.
    fn wording(job: &Self::Job) -> (&'static str, serde_json::Map<String, serde_json::Value>);
}

/// The text of one SMS of kind `K`.
pub struct SmsText<K> {
    text: String,
    _kind: PhantomData<K>,
}

/// A text rendered from a template of the other category.
#[derive(Debug, thiserror::Error)]
#[error("a {template} template cannot be sent as a {kind} SMS")]
pub struct WrongCategory {
    pub template: &'static str,
    pub kind: &'static str,
}

impl<K: SmsKind> SmsText<K> {
    /// `text`, rendered from a template of `category`: only a template of
    /// this kind's category makes one.
    pub fn new(category: Category, text: String) -> Result<Self, WrongCategory> {
        if category == K::CATEGORY {
            Ok(Self {
                text,
                _kind: PhantomData,
            })
        } else {
            Err(WrongCategory {
                template: category.as_str(),
                kind: K::NAME,
            })
        }
    }
}

/// Codes and receipts: never blocked by opt-outs.
pub enum Transactional {}
/// Marketing: respects opt-outs and quiet hours.
pub enum Promotional {}

impl SmsKind for Transactional {
    type Job = TransactionalSms;
    const NAME: &'static str = "transactional";
    const CATEGORY: Category = Category::Transactional;
    fn recipient(job: &TransactionalSms) -> &Recipient {
        &job.recipient
    }
    fn wording(
        job: &TransactionalSms,
    ) -> (&'static str, serde_json::Map<String, serde_json::Value>) {
        builtin::transactional_sms(&job.template)
    }
}

impl SmsKind for Promotional {
    type Job = PromotionalSms;
    const NAME: &'static str = "promotional";
    const CATEGORY: Category = Category::Promotional;
    fn recipient(job: &PromotionalSms) -> &Recipient {
        &job.recipient
    }
    fn wording(job: &PromotionalSms) -> (&'static str, serde_json::Map<String, serde_json::Value>) {
        builtin::promotional_sms(&job.template)
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

    /// Sends `text` to `to` (E.164) and returns the provider's message id;
    /// `key` identifies the delivery across resends.
    pub async fn send(
        &self,
        to: &str,
        text: &SmsText<K>,
        key: uuid::Uuid,
    ) -> Result<String, SendError> {
        self.provider.send(to, &text.text, key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_only_made_from_a_template_of_its_kind() {
        assert!(SmsText::<Transactional>::new(Category::Transactional, "code".into()).is_ok());
        let refused = SmsText::<Transactional>::new(Category::Promotional, "sale".into());
        assert_eq!(
            refused.err().map(|e| e.to_string()).as_deref(),
            Some("a promotional template cannot be sent as a transactional SMS")
        );
        assert!(SmsText::<Promotional>::new(Category::Transactional, "code".into()).is_err());
    }

    #[test]
    fn phone_numbers_are_masked_in_logs() {
        assert_eq!(mask("+4915112345678"), "+49151*****678");
        assert_eq!(mask("+123"), "****");
    }
}
