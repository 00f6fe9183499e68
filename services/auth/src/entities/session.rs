//! `sessions`: one login on one device, the family of its refresh tokens.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "sessions";
    pub struct Model {
        pub user_id: i64,
        pub user_agent: Option<String>,
        pub ip: Option<String>,
        pub last_used_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
        pub revoked_reason: Option<String>,
        /// How it was signed in, comma-separated (`pwd`, `sms`, `otp`).
        pub amr: String,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
