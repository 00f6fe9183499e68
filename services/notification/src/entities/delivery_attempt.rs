//! `delivery_attempts`: every try at a provider.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "delivery_attempts";
    pub struct Model {
        pub delivery_id: i64,
        pub attempt: i32,
        pub outcome: String,
        pub error: Option<String>,
        pub duration_ms: i32,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
