//! `users`: one row per account. Emails are stored lower-cased.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "users";
    pub struct Model {
        pub email: String,
        pub password_hash: String,
        pub name: Option<String>,
        pub phone: Option<String>,
        pub roles: Vec<String>,
        pub email_verified_at: Option<dayone_model::Timestamp>,
        /// Set while an admin has the account disabled.
        pub disabled_at: Option<dayone_model::Timestamp>,
        /// BCP 47 (`pt-BR`): the language of messages to the account.
        pub locale: Option<String>,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
