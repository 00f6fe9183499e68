//! sea-orm entities of the core database.

pub mod product;
