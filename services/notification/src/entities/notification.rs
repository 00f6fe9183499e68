//! `notifications`: accepted jobs; `uuid` is the job's envelope id.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "notifications";
    pub struct Model {
        pub channel: String,
        pub category: String,
        pub template: String,
        pub recipient_user_uuid: Option<Uuid>,
        pub job: Json,
        pub status: String,
        /// The template version it was accepted with (`None`: raw push).
        pub template_version: Option<i32>,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
