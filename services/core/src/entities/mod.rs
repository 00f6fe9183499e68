//! sea-orm entities of the core database.

pub mod order;
pub mod order_item;
pub mod product;
