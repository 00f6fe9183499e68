//! `products`: the catalogue of the sample business.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "products";
    pub struct Model {
        pub name: String,
        pub description: String,
        pub price_cents: i64,
        pub currency: String,
        pub stock: i32,
        pub category: String,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
