//! sea-orm entities of the auth database.

pub mod user;
