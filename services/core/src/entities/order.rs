//! `orders`: one per checkout.

use sea_orm::entity::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

dayone_model::base_entity! {
    table = "orders";
    pub struct Model {
        pub user_uuid: Uuid,
        pub status: OrderStatus,
        pub currency: String,
        pub total_cents: i64,
        pub cancelled_at: Option<DateTimeUtc>,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Where an order stands: the one list of its states (`orders.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    /// Stock is reserved; it can still be cancelled.
    #[sea_orm(string_value = "placed")]
    Placed,
    /// Its stock was released.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

#[cfg(test)]
mod tests {
    use sea_orm::ActiveEnum;

    use super::*;

    /// recommendations.rs's SQL names the placed state by its stored text.
    #[test]
    fn states_are_stored_and_sent_as_their_names() {
        assert_eq!(OrderStatus::Placed.to_value(), "placed");
        assert_eq!(OrderStatus::Cancelled.to_value(), "cancelled");
        assert_eq!(
            serde_json::to_value(OrderStatus::Cancelled).unwrap(),
            "cancelled"
        );
    }
}
