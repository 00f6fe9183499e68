//! The queues core owns and consumes: services.toml lists its work queues
//! with their bindings (`dayone_model::services::CORE`), and only this service
//! declares them. The search indexer itself is `search/indexer.rs`.

use dayone_broker::topology::QueueDef;
use dayone_model::Contract;
use dayone_model::messages::catalog::SearchReindexRequested;
use dayone_model::services::CORE;

/// Every work queue it declares, consumes and owns the dead letters of.
pub const QUEUES: &[QueueDef] = CORE.queues;

/// Product changes for a shared search cluster (Elasticsearch/OpenSearch):
/// one indexer among the replicas applies each.
pub const SEARCH_INDEX: &str = "core.search-index";
/// Requests to run its scheduled tasks (`tasks.rs`).
pub const TASKS: &str = "core.tasks";

/// Product changes for per-instance (embedded) search indexes: every
/// instance gets its own copy, in an exclusive queue that lives as long as
/// its connection.
pub const PRODUCT_CHANGES: &[&str] = &["product.*", SearchReindexRequested::TYPE];

#[cfg(test)]
mod tests {
    use dayone_model::messages::catalog::ProductChanged;

    use super::*;

    #[test]
    fn each_queue_consumed_here_is_its_own_and_bound_to_its_messages() {
        let index = CORE.queue(SEARCH_INDEX).unwrap();
        assert!(index.bindings.contains(&"product.*"));
        assert!(ProductChanged::TYPE.starts_with("product."));
        assert!(CORE.queue(TASKS).is_some());
        assert_eq!(QUEUES.len(), 2);
    }
}
