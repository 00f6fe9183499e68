//! The core service: the sample business of a Dayone deployment — products,
//! orders, search and app-version policy — over API v1 and v2.
//!
//! - `settings.rs`, `startup.rs`: settings and [`Application`].
//! - `products.rs`, `orders.rs`: the catalogue and orders, with their
//!   events and the receipt email job written through the outbox.
//! - `search/`: the search-backend trait, the embedded (tantivy) and
//!   Elasticsearch/OpenSearch backends, and the indexer consumer.
//! - `app_versions.rs`: hard/soft update checks from thresholds in Redis.
//! - `recommendations.rs`: the weekly recommendation emails; `tasks.rs`:
//!   the scheduled tasks it runs.
//! - `routes/`: `/v1` and `/v2` handlers and both OpenAPI documents.
//! - `consumers/`: its queues; `error.rs`: its own error codes and where
//!   domain errors become HTTP answers.

pub mod app_versions;
pub mod consumers;
pub mod entities;
pub mod error;
pub mod money;
pub mod orders;
pub mod products;
pub mod recommendations;
pub mod routes;
pub mod search;
pub mod settings;
pub mod startup;
pub mod state;
pub mod tasks;

pub use settings::Settings;
pub use startup::Application;
