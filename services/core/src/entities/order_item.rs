//! `order_items`: what an order bought, at the price it was bought.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "order_items";
    pub struct Model {
        pub order_id: i64,
        pub product_id: i64,
        pub product_uuid: Uuid,
        pub name: String,
        pub quantity: i32,
        pub unit_price_cents: i64,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
