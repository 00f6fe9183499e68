//! What the consumers and handlers share.

use dayone_broker::{Broker, Outbox};
use sea_orm::DatabaseConnection;

use crate::channels::apns::Apns;
use crate::channels::email::EmailSender;
use crate::channels::fcm::Fcm;
use crate::channels::sms::{Promotional, SmsSender, Transactional};
use crate::inbox::Hub;
use crate::settings::NotificationSettings;
use crate::templates::Templates;

pub struct NotifyState {
    pub db: DatabaseConnection,
    pub outbox: Outbox,
    pub broker: Broker,
    pub templates: Templates,
    pub email: EmailSender,
    pub sms_transactional: SmsSender<Transactional>,
    pub sms_promotional: SmsSender<Promotional>,
    /// `None` when APNs is not configured.
    pub apns: Option<Apns>,
    /// `None` when FCM is not configured.
    pub fcm: Option<Fcm>,
    pub settings: NotificationSettings,
    /// The gateway clients reach; unsubscribe links point there.
    pub public_url: String,
    /// Deliveries of a job: the first plus one per retry delay.
    pub max_attempts: u32,
    /// The inbox streams open on this instance.
    pub inbox: Hub,
}

impl NotifyState {
    /// How long a claim on a delivery lasts: the configured lease, and never
    /// less than the SMTP timeout plus a margin, so a slow but live call is
    /// not taken over.
    pub fn claim_lease(&self) -> std::time::Duration {
        let floor = self.settings.email.timeout_secs + 5;
        std::time::Duration::from_secs(self.settings.claim_lease_secs.max(floor))
    }
}
