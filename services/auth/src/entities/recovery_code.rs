//! `recovery_codes`: single-use codes for when the authenticator is lost.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "recovery_codes";
    pub struct Model {
        pub user_id: i64,
        /// SHA-256 of the code, hex.
        pub code_hash: String,
        pub used_at: Option<DateTimeUtc>,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
