//! Notification jobs: what any service asks the notification service to send.
//!
//! Jobs name a template (the notification service owns the wording) and
//! carry the recipient's address when the sender knows it; otherwise the
//! notification service looks the user up in its contact projection.
//!
//! SMS comes in two job types on two queues. [`TransactionalSms`] can only
//! hold a [`TransactionalSmsTemplate`] and [`PromotionalSms`] only a
//! [`PromotionalSmsTemplate`], so promotional content cannot be put on the
//! transactional path: the compiler refuses it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Contract;

/// Who receives a notification.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Recipient {
    pub user_uuid: Option<Uuid>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
}

/// Whether a message may be suppressed by opt-outs and quiet hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Asked for by the user (codes, receipts, resets): always sent.
    Transactional,
    /// Marketing: respects opt-outs and quiet hours.
    Promotional,
}

/// The email templates the notification service renders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum EmailTemplate {
    Welcome,
    VerifyEmail {
        link: String,
    },
    PasswordReset {
        link: String,
        expires_in_minutes: u32,
    },
    OrderReceipt {
        order: serde_json::Value,
    },
    WeeklyRecommendations {
        products: serde_json::Value,
    },
}

impl EmailTemplate {
    pub fn category(&self) -> Category {
        match self {
            Self::WeeklyRecommendations { .. } => Category::Promotional,
            _ => Category::Transactional,
        }
    }
}

/// Send one email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailJob {
    pub recipient: Recipient,
    #[serde(flatten)]
    pub template: EmailTemplate,
}

impl EmailJob {
    /// An email to a user, addressed by the notification service from its
    /// contact record (which also knows their opt-outs).
    pub fn to_user(user_uuid: uuid::Uuid, template: EmailTemplate) -> Self {
        Self {
            recipient: Recipient {
                user_uuid: Some(user_uuid),
                ..Default::default()
            },
            template,
        }
    }
}

impl Contract for EmailJob {
    const TYPE: &'static str = "notification.email";
    const VERSION: u32 = 1;
}

/// Texts the transactional SMS sender may send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum TransactionalSmsTemplate {
    LoginCode {
        code: String,
        expires_in_minutes: u32,
    },
    OrderReceipt {
        order_number: String,
        total: String,
    },
}

/// Texts the promotional SMS sender may send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum PromotionalSmsTemplate {
    Campaign { text: String },
}

/// An SMS on the transactional queue and sender.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionalSms {
    pub recipient: Recipient,
    #[serde(flatten)]
    pub template: TransactionalSmsTemplate,
}

impl Contract for TransactionalSms {
    const TYPE: &'static str = "sms.transactional";
    const VERSION: u32 = 1;
}

/// An SMS on the promotional queue and sender.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromotionalSms {
    pub recipient: Recipient,
    #[serde(flatten)]
    pub template: PromotionalSmsTemplate,
}

impl Contract for PromotionalSms {
    const TYPE: &'static str = "sms.promotional";
    const VERSION: u32 = 1;
}

/// A push notification to every registered device of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushJob {
    pub recipient: Recipient,
    pub category: Category,
    pub title: String,
    pub body: String,
    /// Extra key/values for the app (FCM requires string values).
    #[serde(default)]
    pub data: BTreeMap<String, String>,
}

impl Contract for PushJob {
    const TYPE: &'static str = "notification.push";
    const VERSION: u32 = 1;
}
