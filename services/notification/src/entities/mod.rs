//! sea-orm entities of the notification database.

pub mod contact;
pub mod delivery;
pub mod delivery_attempt;
pub mod device;
pub mod notification;
pub mod preference;
pub mod template;
pub mod template_version;
