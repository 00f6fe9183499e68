//! `totp_factors`: an account's TOTP second factor.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "totp_factors";
    pub struct Model {
        pub user_id: i64,
        /// The shared secret, base32.
        pub secret: String,
        /// `None` while enrolling: not asked for at sign-in yet.
        pub confirmed_at: Option<DateTimeUtc>,
        pub last_step: Option<i64>,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
