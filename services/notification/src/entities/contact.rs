//! `contacts`: the local projection of auth's users, kept from `user.*`
//! events, so sending never needs a call to auth.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "contacts";
    pub struct Model {
        pub user_uuid: Uuid,
        pub email: String,
        pub name: Option<String>,
        pub phone: Option<String>,
        /// BCP 47, from the user's profile.
        pub locale: Option<String>,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
