//! The queues the ops service owns: services.toml lists them with their
//! bindings (`dayone_model::services::OPS`), and only this service
//! declares them. A consumer per file beside this one.

pub mod audit;

use dayone_broker::topology::QueueDef;
use dayone_model::services::OPS;

/// Every queue it declares, consumes and owns the dead letters of.
pub const QUEUES: &[QueueDef] = OPS.queues;

/// The admin actions the other services report (`audit.rs`).
pub const AUDIT: &str = "ops.audit";
/// Requests to run one of its scheduled tasks (`tasks.rs`).
pub const TASKS: &str = "ops.tasks";

#[cfg(test)]
mod tests {
    use dayone_model::Contract;
    use dayone_model::messages::audit::AdminActed;

    use super::*;

    #[test]
    fn each_queue_consumed_here_is_its_own_and_bound_to_its_messages() {
        let audit = OPS.queue(AUDIT).unwrap();
        assert!(audit.bindings.contains(&AdminActed::TYPE));
        assert!(OPS.queue(TASKS).is_some());
        assert_eq!(QUEUES.len(), 2);
    }
}
