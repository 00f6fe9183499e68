//! The queues the {{name}} service owns: services.toml lists them with their
//! bindings (`dayone_model::services::{{NAME}}`), and only this service
//! declares them. A consumer per file beside this one.

use dayone_broker::topology::QueueDef;
use dayone_model::services::{{NAME}};

/// Every queue it declares, consumes and owns the dead letters of.
pub const QUEUES: &[QueueDef] = {{NAME}}.queues;

/// Requests to run one of its scheduled tasks (`tasks.rs`).
pub const TASKS: &str = "{{name}}.tasks";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queues_consumed_here_are_its_own_in_services_toml() {
        assert!({{NAME}}.queue(TASKS).is_some());
    }
}
