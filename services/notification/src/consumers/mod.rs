//! The queues the notification service owns and consumes: services.toml
//! lists them with their bindings (`dayone_model::services::NOTIFICATION`),
//! and only this service declares them. The contact projection is here, the
//! job handlers in `jobs.rs`.

pub mod user_events;

use dayone_broker::topology::QueueDef;
use dayone_model::services::NOTIFICATION;

/// Every queue it declares, consumes and owns the dead letters of.
pub const QUEUES: &[QueueDef] = NOTIFICATION.queues;

/// Email jobs from any service.
pub const EMAIL: &str = "notification.email";
/// Push jobs: one per user, fanned out to the user's devices.
pub const PUSH: &str = "notification.push";
/// SMS the user asked for (codes, receipts): never blocked by opt-outs.
pub const SMS_TRANSACTIONAL: &str = "sms.transactional";
/// Marketing SMS: their own queue and sender configuration.
pub const SMS_PROMOTIONAL: &str = "sms.promotional";
/// Jobs naming a template managed at run time (`TemplatedJob`).
pub const TEMPLATED: &str = "notification.templated";
/// Auth's `user.*` events, for the contact projection.
pub const USER_EVENTS: &str = "notification.user-events";
/// Requests to run its scheduled tasks (`tasks.rs`).
pub const TASKS: &str = "notification.tasks";

#[cfg(test)]
mod tests {
    use dayone_model::Contract;
    use dayone_model::messages::notifications::{
        EmailJob, PromotionalSms, PushJob, TemplatedJob, TransactionalSms,
    };
    use dayone_model::messages::users::UserRegistered;

    use super::*;

    #[test]
    fn each_queue_consumed_here_is_its_own_and_bound_to_its_messages() {
        for (queue, kind) in [
            (EMAIL, EmailJob::TYPE),
            (PUSH, PushJob::TYPE),
            (SMS_TRANSACTIONAL, TransactionalSms::TYPE),
            (SMS_PROMOTIONAL, PromotionalSms::TYPE),
            (TEMPLATED, TemplatedJob::TYPE),
            (USER_EVENTS, UserRegistered::TYPE),
            (TASKS, "task.notification.*"),
        ] {
            let def = NOTIFICATION
                .queue(queue)
                .unwrap_or_else(|| panic!("{queue}"));
            assert!(def.bindings.contains(&kind), "{queue} is bound to {kind}");
        }
        assert_eq!(QUEUES.len(), 7, "a queue of services.toml is consumed here");
    }
}
