//! Product search behind one trait, with two backends fed by the same
//! pipeline (product change -> outbox -> RabbitMQ -> indexer -> backend):
//!
//! - `embedded.rs`: tantivy, in memory in every core instance, rebuilt from
//!   the database when its subscription starts and kept current from the
//!   `product.*` broadcast. The default: nothing to run.
//! - `elastic.rs`: Elasticsearch 8 / OpenSearch 2 over their REST API, one
//!   index shared by all instances, fed from the `core.search-index` queue.
//!
//! Both rank by relevance (BM25; the name weighs more than the
//! description), tolerate typos (Elasticsearch's `AUTO`: edit distance 1
//! from 3 letters, 2 from 6), filter by category, price and stock, and count
//! facets. A query's words must all match; when no product has them all,
//! [`search`] asks again for products with any of them, most words first,
//! and says so (`relaxed`), rather than answer nothing.

pub mod elastic;
pub mod embedded;
pub mod indexer;

use std::future::Future;
use std::pin::Pin;

use dayone_model::messages::catalog::ProductSnapshot;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = anyhow::Result<T>> + Send + 'a>>;

/// What to look for.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// Free text; empty matches everything (filters still apply).
    pub text: String,
    pub category: Option<String>,
    pub min_price_cents: Option<i64>,
    pub max_price_cents: Option<i64>,
    pub in_stock: bool,
    pub limit: usize,
    pub offset: usize,
    /// Any of the words rather than all of them (products with more of them
    /// rank higher). Set by [`search`] when all of them found nothing.
    pub any_word: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Hit {
    pub uuid: Uuid,
    pub name: String,
    pub description: String,
    pub category: String,
    pub price_cents: i64,
    pub currency: String,
    pub stock: i32,
    /// Relevance; higher is better.
    pub score: f32,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct Bucket {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Facets {
    /// Matches per category, most first.
    pub category: Vec<Bucket>,
    /// Matches per price band (`0-10`, `10-50`, `50-100`, `100+`, in units).
    pub price: Vec<Bucket>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SearchResults {
    pub total: u64,
    pub hits: Vec<Hit>,
    pub facets: Facets,
    /// True when no product had every word of the query and these are the
    /// products with some of them, most words first.
    pub relaxed: bool,
}

/// The price bands of the price facet, in cents: `[from, to)`.
pub const PRICE_BANDS: [(&str, i64, Option<i64>); 4] = [
    ("0-10", 0, Some(1_000)),
    ("10-50", 1_000, Some(5_000)),
    ("50-100", 5_000, Some(10_000)),
    ("100+", 10_000, None),
];

/// A search engine holding products.
pub trait SearchBackend: Send + Sync + 'static {
    /// Adds or replaces these products.
    fn upsert<'a>(&'a self, products: &'a [ProductSnapshot]) -> BoxFuture<'a, ()>;
    fn delete(&self, product: Uuid) -> BoxFuture<'_, ()>;
    /// Replaces the whole content (a reindex).
    fn replace_all<'a>(&'a self, products: &'a [ProductSnapshot]) -> BoxFuture<'a, ()>;
    fn search<'a>(&'a self, request: &'a SearchRequest) -> BoxFuture<'a, SearchResults>;
    /// True when each instance holds its own copy (it must see every
    /// change and rebuild itself), false for a shared cluster.
    fn per_instance(&self) -> bool;
}

/// Typo tolerance: how many edits a query term may be from an index term
/// (Elasticsearch's `fuzziness: AUTO`, so both backends agree).
pub fn fuzziness(term: &str) -> u8 {
    match term.chars().count() {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    }
}

/// Searches `backend`: every word must match, and if no product has them
/// all (two words that never occur together, say), the products with any
/// of them, marked `relaxed`.
pub async fn search(
    backend: &dyn SearchBackend,
    request: &SearchRequest,
) -> anyhow::Result<SearchResults> {
    let results = backend.search(request).await?;
    if results.total > 0 || request.any_word || request.text.split_whitespace().nth(1).is_none() {
        return Ok(results);
    }
    let relaxed = SearchRequest {
        any_word: true,
        ..request.clone()
    };
    let mut results = backend.search(&relaxed).await?;
    results.relaxed = results.total > 0;
    Ok(results)
}
