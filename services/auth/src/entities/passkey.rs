//! `passkeys`: an account's WebAuthn credentials.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "passkeys";
    pub struct Model {
        pub user_id: i64,
        /// What the owner calls it ("MacBook", "YubiKey").
        pub name: String,
        /// The credential id, base64url: how a sign-in finds it.
        pub credential_id: String,
        /// The verifier's record of it (public key, counter).
        pub credential: Json,
        pub last_used_at: Option<DateTimeUtc>,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
