//! `deliveries`: one per recipient address of a notification.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "deliveries";
    pub struct Model {
        pub notification_id: i64,
        pub channel: String,
        pub address: String,
        pub status: String,
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
