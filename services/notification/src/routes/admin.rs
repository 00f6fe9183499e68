//! The admin routes that every service shares: dead letters.

use dayone_broker::topology::{
    NOTIFICATION_EMAIL, NOTIFICATION_PUSH, NOTIFICATION_TASKS, NOTIFICATION_USER_EVENTS,
    SMS_PROMOTIONAL, SMS_TRANSACTIONAL,
};

/// Where this service's routes live.
pub const PREFIX: &str = "/v1/notifications";

/// The queues this service consumes (and whose dead letters it owns).
pub const QUEUES: &[&str] = &[
    NOTIFICATION_EMAIL.name,
    NOTIFICATION_PUSH.name,
    SMS_TRANSACTIONAL.name,
    SMS_PROMOTIONAL.name,
    NOTIFICATION_USER_EVENTS.name,
    NOTIFICATION_TASKS.name,
];
