//! RabbitMQ consumers of the notification service.

pub mod user_events;
