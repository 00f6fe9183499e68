//! `devices`: push tokens per user.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "devices";
    pub struct Model {
        pub user_uuid: Uuid,
        pub platform: String,
        pub token: String,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
