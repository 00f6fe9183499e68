//! Product search over 100,000 products: the embedded tantivy backend
//! against the same queries answered by PostgreSQL, with `ILIKE` (with a
//! pg_trgm GIN index, as one would deploy it) and with full-text search
//! (`tsvector @@ plainto_tsquery`, GIN index, ranked by `ts_rank`).
//! Queries run one after another; p50 and p99 per engine, and the ratios.
//!
//!   cargo run --release -p dayone-bench --bin bench-search -- [--products N] [--queries N] [--tantivy-only]
//!
//! Each query is labelled with the words it means (before its typo); a
//! product is relevant when its name and description have them all.
//! Recall@20 is over the queries some product answers.
//!
//! Needs the test infrastructure (`make test-infra`).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use dayone_core::search::embedded::Embedded;
use dayone_core::search::{SearchBackend, SearchRequest};
use dayone_test_support::TestEnv;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use sea_orm_migration::MigratorTrait;

const ADJECTIVES: &[&str] = &[
    "rustic",
    "modern",
    "vintage",
    "compact",
    "deluxe",
    "classic",
    "portable",
    "ergonomic",
    "handmade",
    "organic",
    "premium",
    "minimal",
    "sturdy",
    "elegant",
    "smart",
    "wireless",
    "foldable",
    "insulated",
    "glazed",
    "brushed",
];
const MATERIALS: &[&str] = &[
    "ceramic",
    "bamboo",
    "copper",
    "walnut",
    "linen",
    "steel",
    "glass",
    "leather",
    "cotton",
    "marble",
    "oak",
    "porcelain",
    "cast-iron",
    "silicone",
    "wool",
];
const NOUNS: &[&str] = &[
    "mug",
    "teapot",
    "kettle",
    "grinder",
    "lamp",
    "backpack",
    "blanket",
    "skillet",
    "bowl",
    "vase",
    "chair",
    "desk",
    "headphones",
    "speaker",
    "notebook",
    "jacket",
    "sneakers",
    "bottle",
    "clock",
    "tray",
    "espresso-machine",
    "cutting-board",
    "planter",
    "candle",
    "umbrella",
];

fn flag(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn sql_array(words: &[&str]) -> String {
    format!(
        "ARRAY[{}]",
        words
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(",")
    )
}

/// 100,000 products from word lists, generated inside PostgreSQL.
async fn seed(db: &DatabaseConnection, n: usize) -> anyhow::Result<()> {
    let sql = format!(
        "INSERT INTO products (name, description, price_cents, currency, stock, category)
         SELECT initcap(a[1 + (i * 7) % {na}] || ' ' || m[1 + (i * 13) % {nm}] || ' ' || replace(o[1 + (i * 31) % {no}], '-', ' ')),
                'A ' || a[1 + (i * 17) % {na}] || ' ' || replace(o[1 + (i * 11) % {no}], '-', ' ') || ' in ' || m[1 + (i * 5) % {nm}] || ', item ' || i,
                100 + (i * 7919) % 50000, 'EUR', (i * 37) % 20,
                (ARRAY['kitchen','home','outdoor','office','audio'])[1 + i % 5]
         FROM generate_series(1::bigint, {n}) AS i,
              (SELECT {adj} AS a, {mat} AS m, {noun} AS o) words",
        na = ADJECTIVES.len(),
        nm = MATERIALS.len(),
        no = NOUNS.len(),
        adj = sql_array(ADJECTIVES),
        mat = sql_array(MATERIALS),
        noun = sql_array(NOUNS),
    );
    db.execute_unprepared(&sql).await?;
    db.execute_unprepared(
        "CREATE EXTENSION IF NOT EXISTS pg_trgm;
         CREATE INDEX products_name_trgm ON products USING gin (name gin_trgm_ops);
         CREATE INDEX products_description_trgm ON products USING gin (description gin_trgm_ops);
         CREATE INDEX products_fts ON products USING gin (to_tsvector('english', name || ' ' || description));
         ANALYZE products;",
    )
    .await?;
    Ok(())
}

/// A query as typed, and the words it means (its label: a product is
/// relevant when its name and description have them all).
struct Query {
    text: String,
    words: Vec<String>,
}

/// Queries shoppers type: one or two words, every fifth with a typo.
fn queries(n: usize) -> Vec<Query> {
    (0..n)
        .map(|i| {
            let noun = NOUNS[(i * 3) % NOUNS.len()].replace('-', " ");
            let text = if i % 2 == 0 {
                noun
            } else {
                format!("{} {noun}", MATERIALS[(i * 7) % MATERIALS.len()])
            };
            let words = words_of(&text).into_iter().collect();
            let text = if i % 5 == 4 {
                // Drop a letter from the middle of the first word.
                let mut chars: Vec<char> = text.chars().collect();
                let middle = chars.iter().position(|c| *c == ' ').unwrap_or(chars.len()) / 2;
                chars.remove(middle.max(1));
                chars.into_iter().collect()
            } else {
                text
            };
            Query { text, words }
        })
        .collect()
}

fn words_of(text: &str) -> std::collections::BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// For each query, the products that have all its words (by uuid).
async fn relevant(
    db: &DatabaseConnection,
    queries: &[Query],
) -> anyhow::Result<Vec<HashSet<String>>> {
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT uuid::text AS uuid, name, description FROM products",
        ))
        .await?;
    let mut index: HashMap<String, HashSet<String>> = HashMap::new();
    for row in rows {
        let uuid: String = row.try_get("", "uuid")?;
        let name: String = row.try_get("", "name")?;
        let description: String = row.try_get("", "description")?;
        for word in words_of(&format!("{name} {description}")) {
            index.entry(word).or_default().insert(uuid.clone());
        }
    }
    Ok(queries
        .iter()
        .map(|q| {
            let mut sets = q
                .words
                .iter()
                .map(|w| index.get(w).cloned().unwrap_or_default());
            let first = sets.next().unwrap_or_default();
            sets.fold(first, |all, set| all.intersection(&set).cloned().collect())
        })
        .collect())
}

/// How well an engine's answers match the labels.
struct Quality {
    /// Mean over the queries some product answers fully: relevant products
    /// in the top 20, out of min(relevant, 20).
    recall: f64,
    /// Queries some product answers fully that got nothing back.
    missed: usize,
    /// Queries no product answers fully, and of those how many still got
    /// something (products with some of the words).
    unanswerable: usize,
    answered_anyway: usize,
}

fn quality(answers: &[Vec<String>], relevant: &[HashSet<String>]) -> Quality {
    let mut recall = 0.0;
    let mut labelled = 0;
    let mut missed = 0;
    let mut unanswerable = 0;
    let mut answered_anyway = 0;
    for (answer, relevant) in answers.iter().zip(relevant) {
        if relevant.is_empty() {
            unanswerable += 1;
            answered_anyway += usize::from(!answer.is_empty());
            continue;
        }
        labelled += 1;
        missed += usize::from(answer.is_empty());
        let found = answer
            .iter()
            .filter(|uuid| relevant.contains(*uuid))
            .count();
        recall += found as f64 / relevant.len().min(20) as f64;
    }
    Quality {
        recall: recall / labelled.max(1) as f64,
        missed,
        unanswerable,
        answered_anyway,
    }
}

struct Timings(Vec<Duration>);

impl Timings {
    fn percentile(&mut self, p: f64) -> Duration {
        self.0.sort_unstable();
        let rank = ((p / 100.0) * (self.0.len() - 1) as f64).round() as usize;
        self.0[rank]
    }
}

/// Latencies, and each query's answer (uuids, best first).
async fn time<F, Fut>(queries: &[Query], mut run: F) -> anyhow::Result<(Timings, Vec<Vec<String>>)>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = anyhow::Result<Vec<String>>>,
{
    let mut timings = Vec::with_capacity(queries.len());
    let mut answers = Vec::with_capacity(queries.len());
    for q in queries {
        let started = Instant::now();
        answers.push(run(q.text.clone()).await?);
        timings.push(started.elapsed());
    }
    Ok((Timings(timings), answers))
}

async fn uuids(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> anyhow::Result<Vec<String>> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<String>("", "uuid")?))
        .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let products = flag("--products", 100_000);
    let query_count = flag("--queries", 500);
    let env = TestEnv::new("search_bench").await?;
    let db = env.db().await?;
    core_migration::Migrator::up(&db, None).await?;
    let started = Instant::now();
    seed(&db, products).await?;
    println!(
        "seeded {products} products and PostgreSQL indexes in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let index = Embedded::new()?;
    let started = Instant::now();
    let indexed = dayone_core::search::indexer::reindex(&db, &index).await?;
    println!(
        "built the tantivy index of {indexed} products in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let queries = queries(query_count);
    let relevant = relevant(&db, &queries).await?;
    // Warm both engines' caches the same way.
    for q in queries.iter().take(20) {
        index
            .search(&SearchRequest {
                text: q.text.clone(),
                limit: 20,
                ..Default::default()
            })
            .await?;
        uuids(
            &db,
            "SELECT uuid::text AS uuid FROM products WHERE name ILIKE $1 LIMIT 20",
            vec![format!("%{}%", q.text).into()],
        )
        .await?;
    }

    let (mut tantivy, tantivy_found) = time(&queries, |q| {
        let index = &index;
        async move {
            let request = SearchRequest {
                text: q,
                limit: 20,
                ..Default::default()
            };
            let results = dayone_core::search::search(index, &request).await?;
            Ok(results.hits.iter().map(|h| h.uuid.to_string()).collect())
        }
    })
    .await?;
    let answerable = relevant.iter().filter(|r| !r.is_empty()).count();
    let (t50, t99) = (tantivy.percentile(50.0), tantivy.percentile(99.0));
    let mut rows = vec![("tantivy (embedded, fuzzy)", t50, t99, tantivy_found)];
    // At a million products the PostgreSQL queries take minutes: this
    // leaves them out.
    if !std::env::args().any(|a| a == "--tantivy-only") {
        let (mut ilike, ilike_found) = time(&queries, |q| {
            let db = &db;
            async move {
                uuids(
                    db,
                    "SELECT uuid::text AS uuid FROM products WHERE deleted_at IS NULL AND (name ILIKE $1 OR description ILIKE $1) ORDER BY created_at DESC LIMIT 20",
                    vec![format!("%{q}%").into()],
                )
                .await
            }
        })
        .await?;
        rows.push((
            "PostgreSQL ILIKE (pg_trgm)",
            ilike.percentile(50.0),
            ilike.percentile(99.0),
            ilike_found,
        ));
        let (mut fts, fts_found) = time(&queries, |q| {
            let db = &db;
            async move {
                uuids(
                    db,
                    "SELECT uuid::text AS uuid FROM products WHERE deleted_at IS NULL \
                       AND to_tsvector('english', name || ' ' || description) @@ plainto_tsquery('english', $1) \
                     ORDER BY ts_rank(to_tsvector('english', name || ' ' || description), plainto_tsquery('english', $1)) DESC LIMIT 20",
                    vec![q.into()],
                )
                .await
            }
        })
        .await?;
        rows.push((
            "PostgreSQL full-text (GIN)",
            fts.percentile(50.0),
            fts.percentile(99.0),
            fts_found,
        ));
    }
    println!(
        "{query_count} queries, top 20 each, one at a time; {answerable} have products with all their words (the labelled set), {} have none:",
        query_count - answerable
    );
    for (name, p50, p99, answers) in rows {
        let q = quality(&answers, &relevant);
        println!(
            "  {name:<28} p50 {:>8.3} ms   p99 {:>8.3} ms   p50 vs tantivy {:>5.1}x   recall@20 {:>5.1} %   labelled queries answered empty {:>3}   unanswerable ones answered anyway {:>3}/{}",
            p50.as_secs_f64() * 1000.0,
            p99.as_secs_f64() * 1000.0,
            p50.as_secs_f64() / t50.as_secs_f64(),
            100.0 * q.recall,
            q.missed,
            q.answered_anyway,
            q.unanswerable,
        );
    }
    println!(
        "  (every fifth query has a typo; recall counts the relevant products among the top 20, out of at most 20)"
    );
    Ok(())
}
