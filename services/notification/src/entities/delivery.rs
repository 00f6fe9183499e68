//! `deliveries`: one per recipient address of a notification.

use sea_orm::Iterable;
use sea_orm::entity::prelude::*;
use serde::Serialize;

dayone_model::base_entity! {
    table = "deliveries";
    pub struct Model {
        pub notification_id: i64,
        pub channel: String,
        pub address: String,
        pub status: DeliveryStatus,
        pub attempts: i32,
        pub last_error: Option<String>,
        pub provider_id: Option<String>,
        pub not_before: Option<DateTimeUtc>,
        pub sent_at: Option<DateTimeUtc>,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Where a delivery stands: the one list of its states
/// (`deliveries.status`; the SQL in deliveries.rs and sweeper.rs names them
/// by their stored text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    /// A transient failure; the next try waits in a retry queue.
    #[sea_orm(string_value = "retrying")]
    Retrying,
    /// Promotional, held until the end of the user's quiet hours.
    #[sea_orm(string_value = "deferred")]
    Deferred,
    /// Claimed by a worker that is calling the provider (see `lease_until`).
    #[sea_orm(string_value = "sending")]
    Sending,
    #[sea_orm(string_value = "sent")]
    Sent,
    /// Not sent: the user opted out.
    #[sea_orm(string_value = "suppressed")]
    Suppressed,
    #[sea_orm(string_value = "failed")]
    Failed,
}

impl DeliveryStatus {
    /// The stored and sent text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Retrying => "retrying",
            Self::Deferred => "deferred",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Suppressed => "suppressed",
            Self::Failed => "failed",
        }
    }

    /// The state stored as `text`.
    pub fn from_text(text: &str) -> Option<Self> {
        Self::iter().find(|s| s.as_str() == text)
    }

    /// Nothing more will happen to a delivery in this state.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Sent | Self::Suppressed | Self::Failed)
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::ActiveEnum;

    use super::*;

    #[test]
    fn each_state_is_stored_and_sent_as_its_name() {
        for status in DeliveryStatus::iter() {
            assert_eq!(status.to_value(), status.as_str());
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
            assert_eq!(DeliveryStatus::from_text(status.as_str()), Some(status));
        }
        assert_eq!(DeliveryStatus::from_text("lost"), None);
    }
}
