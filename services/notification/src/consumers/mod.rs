//! RabbitMQ consumers of the notification service: the contact projection
//! here, the job handlers in `jobs.rs`.

pub mod user_events;
