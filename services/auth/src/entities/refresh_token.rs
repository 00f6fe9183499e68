//! `refresh_tokens`: SHA-256 hashes of issued refresh tokens.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "refresh_tokens";
    pub struct Model {
        pub session_id: i64,
        pub token_hash: String,
        pub expires_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
