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

impl Category {
    /// Its name in messages, the API and the `notifications` table.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transactional => "transactional",
            Self::Promotional => "promotional",
        }
    }
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
    /// The `template` tag it is sent under.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Welcome => "welcome",
            Self::VerifyEmail { .. } => "verify_email",
            Self::PasswordReset { .. } => "password_reset",
            Self::OrderReceipt { .. } => "order_receipt",
            Self::WeeklyRecommendations { .. } => "weekly_recommendations",
        }
    }

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

impl TransactionalSmsTemplate {
    /// The `template` tag it is sent under.
    pub fn name(&self) -> &'static str {
        match self {
            Self::LoginCode { .. } => "login_code",
            Self::OrderReceipt { .. } => "order_receipt",
        }
    }
}

/// Texts the promotional SMS sender may send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum PromotionalSmsTemplate {
    Campaign { text: String },
}

impl PromotionalSmsTemplate {
    /// The `template` tag it is sent under.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Campaign { .. } => "campaign",
        }
    }
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

/// The channels a template can be sent on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    Push,
    /// The user's inbox in the app, with live updates.
    InApp,
}

impl Channel {
    pub const ALL: [Self; 4] = [Self::Email, Self::Sms, Self::Push, Self::InApp];

    /// Its name in messages, the API and the `notifications` table.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Push => "push",
            Self::InApp => "in_app",
        }
    }
}

/// A message from a template managed at run time (admins write them through
/// the notification API): any service can send its own notifications
/// without the notification service knowing them at build time. The
/// template's category decides which sender carries it, and `variables` are
/// checked against the ones the template declares: an unknown or missing
/// one refuses the job (to the dead letters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplatedJob {
    pub recipient: Recipient,
    pub channel: Channel,
    /// The template's key.
    pub template: String,
    #[serde(default)]
    pub variables: serde_json::Map<String, serde_json::Value>,
    /// The language when no user is known (a user's own locale wins), as
    /// BCP 47 (`pt-BR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The published version when the job was made; `None`: the one
    /// published when the notification service first sees the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    /// A digest: the variables of each event it gathers (the message reads
    /// them as `items`). Set by the notification service when a digest
    /// window closes; such a job is never digested again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Vec<serde_json::Map<String, serde_json::Value>>>,
}

impl Contract for TemplatedJob {
    const TYPE: &'static str = "notification.templated";
    const VERSION: u32 = 1;
}

/// An item was added to a user's in-app inbox: broadcast to every instance
/// of the notification service, which passes it to that user's open
/// streams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxItemAdded {
    pub user_uuid: Uuid,
    /// The item as the inbox API shows it.
    pub item: serde_json::Value,
}

impl Contract for InboxItemAdded {
    const TYPE: &'static str = "inbox.item-added";
    const VERSION: u32 = 1;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// `name()` and `as_str()` say what serde writes (the one list is the
    /// enum; these only spell it without serializing).
    #[test]
    fn names_are_the_serialized_tags() {
        let emails = [
            EmailTemplate::Welcome,
            EmailTemplate::VerifyEmail { link: "l".into() },
            EmailTemplate::PasswordReset {
                link: "l".into(),
                expires_in_minutes: 1,
            },
            EmailTemplate::OrderReceipt { order: json!({}) },
            EmailTemplate::WeeklyRecommendations {
                products: json!([]),
            },
        ];
        for t in &emails {
            assert_eq!(serde_json::to_value(t).unwrap()["template"], t.name());
        }
        let sms = [
            TransactionalSmsTemplate::LoginCode {
                code: "1".into(),
                expires_in_minutes: 1,
            },
            TransactionalSmsTemplate::OrderReceipt {
                order_number: "n".into(),
                total: "t".into(),
            },
        ];
        for t in &sms {
            assert_eq!(serde_json::to_value(t).unwrap()["template"], t.name());
        }
        let campaign = PromotionalSmsTemplate::Campaign { text: "t".into() };
        assert_eq!(
            serde_json::to_value(&campaign).unwrap()["template"],
            campaign.name()
        );
        for c in [Category::Transactional, Category::Promotional] {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for c in Channel::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }
}
