//! Events of the core service's sample business: the catalogue and orders.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Contract;

/// A product as it is now (the search index keeps itself from these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductSnapshot {
    pub uuid: Uuid,
    pub name: String,
    pub description: String,
    pub category: String,
    pub price_cents: i64,
    pub currency: String,
    pub stock: i32,
}

/// A product was created or changed (including its stock).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductChanged {
    pub product: ProductSnapshot,
}

impl Contract for ProductChanged {
    const TYPE: &'static str = "product.changed";
    const VERSION: u32 = 1;
}

/// A product was deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductDeleted {
    pub product_uuid: Uuid,
}

impl Contract for ProductDeleted {
    const TYPE: &'static str = "product.deleted";
    const VERSION: u32 = 1;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product_uuid: Uuid,
    pub name: String,
    pub quantity: i32,
    pub unit_price_cents: i64,
}

/// An order was placed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderPlaced {
    pub order_uuid: Uuid,
    pub number: String,
    pub user_uuid: Uuid,
    pub currency: String,
    pub total_cents: i64,
    pub lines: Vec<OrderLine>,
}

impl Contract for OrderPlaced {
    const TYPE: &'static str = "order.placed";
    const VERSION: u32 = 1;
}

/// An order was cancelled and its stock released.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderCancelled {
    pub order_uuid: Uuid,
    pub user_uuid: Uuid,
}

impl Contract for OrderCancelled {
    const TYPE: &'static str = "order.cancelled";
    const VERSION: u32 = 1;
}

/// Asks every core instance with an embedded search index to rebuild it
/// from the database (`core reindex`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchReindexRequested {}

impl Contract for SearchReindexRequested {
    const TYPE: &'static str = "search.reindex";
    const VERSION: u32 = 1;
}
