//! Product search over 100,000 products: the embedded tantivy backend
//! against the same queries answered by PostgreSQL, with `ILIKE` (with a
//! pg_trgm GIN index, as one would deploy it) and with full-text search
//! (`tsvector @@ plainto_tsquery`, GIN index, ranked by `ts_rank`).
//! Queries run one after another; p50 and p99 per engine, and the ratios.
//!
//!   cargo run --release -p dayone-bench --bin bench-search -- [--products N] [--queries N]
//!
//! Needs the test infrastructure (`make test-infra`).

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
         FROM generate_series(1, {n}) AS i,
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

/// Queries shoppers type: one or two words, every fifth with a typo.
fn queries(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let noun = NOUNS[(i * 3) % NOUNS.len()].replace('-', " ");
            let text = if i % 2 == 0 {
                noun
            } else {
                format!("{} {noun}", MATERIALS[(i * 7) % MATERIALS.len()])
            };
            if i % 5 == 4 {
                // Drop a letter from the middle of the first word.
                let mut chars: Vec<char> = text.chars().collect();
                let middle = chars.iter().position(|c| *c == ' ').unwrap_or(chars.len()) / 2;
                chars.remove(middle.max(1));
                chars.into_iter().collect()
            } else {
                text
            }
        })
        .collect()
}

struct Timings(Vec<Duration>);

impl Timings {
    fn percentile(&mut self, p: f64) -> Duration {
        self.0.sort_unstable();
        let rank = ((p / 100.0) * (self.0.len() - 1) as f64).round() as usize;
        self.0[rank]
    }
}

/// Latencies, and how many queries came back empty.
async fn time<F, Fut>(queries: &[String], mut run: F) -> anyhow::Result<(Timings, usize)>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = anyhow::Result<u64>>,
{
    let mut timings = Vec::with_capacity(queries.len());
    let mut empty = 0;
    for q in queries {
        let started = Instant::now();
        if run(q.clone()).await? == 0 {
            empty += 1;
        }
        timings.push(started.elapsed());
    }
    Ok((Timings(timings), empty))
}

async fn count(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> anyhow::Result<u64> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    Ok(rows.len() as u64)
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
    // Warm both engines' caches the same way.
    for q in queries.iter().take(20) {
        index
            .search(&SearchRequest {
                text: q.clone(),
                limit: 20,
                ..Default::default()
            })
            .await?;
        count(
            &db,
            "SELECT uuid FROM products WHERE name ILIKE $1 LIMIT 20",
            vec![format!("%{q}%").into()],
        )
        .await?;
    }

    let (mut tantivy, tantivy_found) = time(&queries, |q| {
        let index = &index;
        async move {
            let results = index
                .search(&SearchRequest {
                    text: q,
                    limit: 20,
                    ..Default::default()
                })
                .await?;
            Ok(results.hits.len() as u64)
        }
    })
    .await?;
    let (mut ilike, ilike_found) = time(&queries, |q| {
        let db = &db;
        async move {
            count(
                db,
                "SELECT uuid FROM products WHERE deleted_at IS NULL AND (name ILIKE $1 OR description ILIKE $1) ORDER BY created_at DESC LIMIT 20",
                vec![format!("%{q}%").into()],
            )
            .await
        }
    })
    .await?;
    let (mut fts, fts_found) = time(&queries, |q| {
        let db = &db;
        async move {
            count(
                db,
                "SELECT uuid FROM products WHERE deleted_at IS NULL \
                   AND to_tsvector('english', name || ' ' || description) @@ plainto_tsquery('english', $1) \
                 ORDER BY ts_rank(to_tsvector('english', name || ' ' || description), plainto_tsquery('english', $1)) DESC LIMIT 20",
                vec![q.into()],
            )
            .await
        }
    })
    .await?;

    println!("{query_count} queries, top 20 each, one at a time:");
    let (t50, t99) = (tantivy.percentile(50.0), tantivy.percentile(99.0));
    let rows = [
        ("tantivy (embedded, fuzzy)", t50, t99, tantivy_found),
        (
            "PostgreSQL ILIKE (pg_trgm)",
            ilike.percentile(50.0),
            ilike.percentile(99.0),
            ilike_found,
        ),
        (
            "PostgreSQL full-text (GIN)",
            fts.percentile(50.0),
            fts.percentile(99.0),
            fts_found,
        ),
    ];
    for (name, p50, p99, empty) in rows {
        println!(
            "  {name:<28} p50 {:>8.3} ms   p99 {:>8.3} ms   empty answers {empty:>4}/{query_count}   p50 vs tantivy {:>6.1}x",
            p50.as_secs_f64() * 1000.0,
            p99.as_secs_f64() * 1000.0,
            p50.as_secs_f64() / t50.as_secs_f64(),
        );
    }
    println!(
        "  (every fifth query has a typo; an empty answer is a query the engine could not serve)"
    );
    Ok(())
}
