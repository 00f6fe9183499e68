//! The queues the ops service owns: services.toml lists them with their
//! bindings (`dayone_model::services::OPS`), and only this service
//! declares them. A consumer per file beside this one.

use dayone_broker::topology::QueueDef;
use dayone_model::services::OPS;

/// Every queue it declares, consumes and owns the dead letters of.
pub const QUEUES: &[QueueDef] = OPS.queues;

/// Requests to run one of its scheduled tasks (`tasks.rs`).
pub const TASKS: &str = "ops.tasks";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queues_consumed_here_are_its_own_in_services_toml() {
        assert!(OPS.queue(TASKS).is_some());
    }
}
