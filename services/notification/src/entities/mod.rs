//! sea-orm entities of the notification database.

pub mod contact;
