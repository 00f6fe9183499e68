//! `orders`: one per checkout.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "orders";
    pub struct Model {
        pub user_uuid: Uuid,
        pub status: String,
        pub currency: String,
        pub total_cents: i64,
        pub cancelled_at: Option<DateTimeUtc>,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

pub const PLACED: &str = "placed";
pub const CANCELLED: &str = "cancelled";
