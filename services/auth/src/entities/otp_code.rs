//! `otp_codes`: login codes sent by SMS, as peppered HMACs.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "otp_codes";
    pub struct Model {
        pub user_id: i64,
        pub phone: String,
        pub code_hash: String,
        pub expires_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
