//! `api_keys`: credentials an admin made for a service or script.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "api_keys";
    pub struct Model {
        pub name: String,
        /// The scopes granted, a JSON array of strings.
        pub scopes: Json,
        /// SHA-256 of the secret, hex.
        pub secret_hash: String,
        /// The admin who made it.
        pub created_by: Uuid,
        pub expires_at: DateTimeUtc,
        pub rotated_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
