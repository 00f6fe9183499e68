//! The admin routes that every service shares: dead letters.

/// Where this service's routes live.
pub const PREFIX: &str = "/v1/notifications";

/// The queues this service consumes (and whose dead letters it owns).
pub use crate::consumers::QUEUES;
