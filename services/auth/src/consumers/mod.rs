//! The queues the auth service owns: services.toml lists them with their
//! bindings (`dayone_model::services::AUTH`), and only this service declares
//! them. Auth consumes its task requests alone; everything else it sends.

use dayone_broker::topology::QueueDef;
use dayone_model::services::AUTH;

/// Every queue it declares, consumes and owns the dead letters of.
pub const QUEUES: &[QueueDef] = AUTH.queues;

/// Requests to run its scheduled tasks (`tasks.rs`).
pub const TASKS: &str = "auth.tasks";

#[cfg(test)]
mod tests {
    #[test]
    fn the_queues_consumed_here_are_its_own_in_services_toml() {
        assert!(super::AUTH.queue(super::TASKS).is_some());
    }
}
