//! `one_time_tokens`: single-use links (password reset, email verification).

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "one_time_tokens";
    pub struct Model {
        pub user_id: i64,
        pub purpose: String,
        pub token_hash: String,
        pub expires_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

pub const PASSWORD_RESET: &str = "password_reset";
pub const EMAIL_VERIFICATION: &str = "email_verification";
