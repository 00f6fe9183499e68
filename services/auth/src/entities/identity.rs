//! `identities`: an account's identity at a sign-in provider.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "identities";
    pub struct Model {
        pub user_id: i64,
        /// The provider's name in settings (`google`, `github`).
        pub provider: String,
        /// Its id for the person (`sub`), stable across email changes.
        pub subject: String,
        /// The email it last reported.
        pub email: Option<String>,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
