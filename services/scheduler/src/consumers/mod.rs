//! The queues the scheduler owns and consumes: services.toml lists them with
//! their bindings (`dayone_model::services::SCHEDULER`), and only this
//! service declares them.

pub mod results;

use dayone_broker::topology::QueueDef;
use dayone_model::services::SCHEDULER;

/// Every queue it declares, consumes and owns the dead letters of.
pub const QUEUES: &[QueueDef] = SCHEDULER.queues;

/// Every task run's outcome, from whichever service ran it (`results.rs`).
pub const RESULTS: &str = "scheduler.results";
/// Requests to run its own tasks (`tasks.rs`).
pub const TASKS: &str = "scheduler.tasks";

#[cfg(test)]
mod tests {
    use dayone_model::Contract;
    use dayone_model::messages::tasks::TaskResult;

    use super::*;

    #[test]
    fn each_queue_consumed_here_is_its_own_and_bound_to_its_messages() {
        let results = SCHEDULER.queue(RESULTS).unwrap();
        assert!(results.bindings.contains(&TaskResult::TYPE));
        assert!(SCHEDULER.queue(TASKS).is_some());
        assert_eq!(QUEUES.len(), 2);
    }
}
