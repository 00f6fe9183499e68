//! The embedded backend: a tantivy index in memory.
//!
//! Each query term must match (a conjunction, so adding words narrows the
//! results), either exactly or, from four letters, within an edit distance
//! (typos, transpositions counting as one edit); the last term also matches
//! as a prefix (search as you type). Exact matches weigh more than fuzzy
//! ones and the name more than the description. Filters run as required
//! clauses; facets come from tantivy's aggregations.

use std::ops::Bound;
use std::sync::{Arc, Mutex};

use dayone_model::messages::catalog::ProductSnapshot;
use serde_json::{Value as Json, json};
use tantivy::aggregation::AggregationCollector;
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};
use uuid::Uuid;

use super::{
    BoxFuture, Bucket, Facets, Hit, PRICE_BANDS, SearchBackend, SearchRequest, SearchResults,
    fuzziness,
};

const TOKENIZER: &str = "product_text";

#[derive(Clone, Copy)]
struct Fields {
    uuid: Field,
    name: Field,
    description: Field,
    category: Field,
    price: Field,
    stock: Field,
    currency: Field,
}

pub struct Embedded {
    reader: IndexReader,
    writer: Arc<Mutex<IndexWriter>>,
    fields: Fields,
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(Stemmer::default())
        .build()
}

impl Embedded {
    pub fn new() -> anyhow::Result<Self> {
        let mut builder = Schema::builder();
        let text = TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(TOKENIZER)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
            .set_stored();
        let fields = Fields {
            uuid: builder.add_text_field("uuid", STRING | STORED),
            name: builder.add_text_field("name", text.clone()),
            description: builder.add_text_field("description", text),
            category: builder.add_text_field("category", STRING | STORED | FAST),
            price: builder.add_u64_field("price_cents", INDEXED | STORED | FAST),
            stock: builder.add_u64_field("stock", INDEXED | STORED | FAST),
            currency: builder.add_text_field("currency", STORED),
        };
        let index = Index::create_in_ram(builder.build());
        index.tokenizers().register(TOKENIZER, analyzer());
        let writer = index.writer(50_000_000)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            reader,
            writer: Arc::new(Mutex::new(writer)),
            fields,
        })
    }

    fn document(&self, p: &ProductSnapshot) -> TantivyDocument {
        let f = self.fields;
        doc!(
            f.uuid => p.uuid.to_string(),
            f.name => p.name.clone(),
            f.description => p.description.clone(),
            f.category => p.category.clone(),
            f.price => u64::try_from(p.price_cents).unwrap_or(0),
            f.stock => u64::try_from(p.stock).unwrap_or(0),
            f.currency => p.currency.clone(),
        )
    }

    /// Runs `change` on the writer, commits, and makes it visible to readers.
    fn write(
        &self,
        change: impl FnOnce(&mut IndexWriter, Fields) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| anyhow::anyhow!("index writer lock poisoned"))?;
        change(&mut writer, self.fields)?;
        writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    fn terms(&self, text: &str) -> Vec<String> {
        let mut analyzer = analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut terms = Vec::new();
        while stream.advance() {
            terms.push(stream.token().text.clone());
        }
        terms
    }

    fn query(&self, request: &SearchRequest) -> Box<dyn Query> {
        let f = self.fields;
        let terms = self.terms(&request.text);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut words: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        // Every word must match, or (relaxed) any will do, each one matched
        // adding to the score.
        let each = if request.any_word {
            Occur::Should
        } else {
            Occur::Must
        };
        let last = terms.len().saturating_sub(1);
        for (i, word) in terms.iter().enumerate() {
            let in_name = Term::from_field_text(f.name, word);
            let in_description = Term::from_field_text(f.description, word);
            let boosted = |q: Box<dyn Query>, boost: f32| -> Box<dyn Query> {
                Box::new(BoostQuery::new(q, boost))
            };
            let mut options: Vec<(Occur, Box<dyn Query>)> = vec![
                (
                    Occur::Should,
                    boosted(
                        Box::new(TermQuery::new(
                            in_name.clone(),
                            IndexRecordOption::WithFreqs,
                        )),
                        4.0,
                    ),
                ),
                (
                    Occur::Should,
                    Box::new(TermQuery::new(
                        in_description.clone(),
                        IndexRecordOption::WithFreqs,
                    )),
                ),
            ];
            let distance = fuzziness(word);
            if distance > 0 {
                options.push((
                    Occur::Should,
                    boosted(
                        Box::new(FuzzyTermQuery::new(in_name.clone(), distance, true)),
                        2.0,
                    ),
                ));
                options.push((
                    Occur::Should,
                    boosted(
                        Box::new(FuzzyTermQuery::new(in_description, distance, true)),
                        0.5,
                    ),
                ));
            }
            if i == last {
                options.push((
                    Occur::Should,
                    boosted(Box::new(FuzzyTermQuery::new_prefix(in_name, 0, false)), 1.5),
                ));
            }
            words.push((each, Box::new(BooleanQuery::new(options))));
        }
        if request.any_word && !words.is_empty() {
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(words))));
        } else {
            clauses.extend(words);
        }
        if let Some(category) = &request.category {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.category, category),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        let cents = |v: Option<i64>| {
            v.map(|c| Term::from_field_u64(f.price, u64::try_from(c).unwrap_or(0)))
        };
        if request.min_price_cents.is_some() || request.max_price_cents.is_some() {
            let lower = cents(request.min_price_cents).map_or(Bound::Unbounded, Bound::Included);
            let upper = cents(request.max_price_cents).map_or(Bound::Unbounded, Bound::Included);
            clauses.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
        }
        if request.in_stock {
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_u64(f.stock, 1)),
                    Bound::Unbounded,
                )),
            ));
        }
        if clauses.is_empty() {
            Box::new(AllQuery)
        } else if terms.is_empty() {
            // Filters only: everything they let through.
            clauses.push((Occur::Must, Box::new(AllQuery)));
            Box::new(BooleanQuery::new(clauses))
        } else {
            Box::new(BooleanQuery::new(clauses))
        }
    }

    fn run(&self, request: &SearchRequest) -> anyhow::Result<SearchResults> {
        let f = self.fields;
        let query = self.query(request);
        let searcher = self.reader.searcher();
        let ranges: Vec<Json> = PRICE_BANDS
            .iter()
            .map(|(key, from, to)| match to {
                Some(to) => json!({"key": key, "from": *from as f64, "to": *to as f64}),
                None => json!({"key": key, "from": *from as f64}),
            })
            .collect();
        let aggregations: Aggregations = serde_json::from_value(json!({
            "category": {"terms": {"field": "category", "size": 20}},
            "price": {"range": {"field": "price_cents", "ranges": ranges}},
        }))?;
        let top = TopDocs::with_limit(request.limit.max(1))
            .and_offset(request.offset)
            .order_by_score();
        let (top, total, aggregated) = searcher.search(
            &*query,
            &(
                top,
                Count,
                AggregationCollector::from_aggs(aggregations, Default::default()),
            ),
        )?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let number = |field| doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0);
            hits.push(Hit {
                uuid: text(f.uuid).parse().unwrap_or_default(),
                name: text(f.name),
                description: text(f.description),
                category: text(f.category),
                price_cents: number(f.price) as i64,
                currency: text(f.currency),
                stock: number(f.stock) as i32,
                score,
            });
        }
        let aggregated = serde_json::to_value(aggregated)?;
        Ok(SearchResults {
            total: total as u64,
            hits,
            facets: facets(&aggregated),
            relaxed: false,
        })
    }
}

/// Buckets of tantivy's (Elasticsearch-shaped) aggregation results.
pub(crate) fn facets(aggregated: &Json) -> Facets {
    let buckets = |name: &str, keep_empty: bool| -> Vec<Bucket> {
        aggregated[name]["buckets"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|b| {
                        let value = match &b["key"] {
                            Json::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        let count = b["doc_count"].as_u64()?;
                        (keep_empty || count > 0).then_some(Bucket { value, count })
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    Facets {
        category: buckets("category", false),
        price: buckets("price", true),
    }
}

impl SearchBackend for Embedded {
    fn upsert<'a>(&'a self, products: &'a [ProductSnapshot]) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let docs: Vec<(String, TantivyDocument)> = products
                .iter()
                .map(|p| (p.uuid.to_string(), self.document(p)))
                .collect();
            self.write(|writer, f| {
                for (uuid, doc) in docs {
                    writer.delete_term(Term::from_field_text(f.uuid, &uuid));
                    writer.add_document(doc)?;
                }
                Ok(())
            })
        })
    }

    fn delete(&self, product: Uuid) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.write(|writer, f| {
                writer.delete_term(Term::from_field_text(f.uuid, &product.to_string()));
                Ok(())
            })
        })
    }

    fn replace_all<'a>(&'a self, products: &'a [ProductSnapshot]) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let docs: Vec<TantivyDocument> = products.iter().map(|p| self.document(p)).collect();
            self.write(|writer, _| {
                writer.delete_all_documents()?;
                for doc in docs {
                    writer.add_document(doc)?;
                }
                Ok(())
            })
        })
    }

    fn search<'a>(&'a self, request: &'a SearchRequest) -> BoxFuture<'a, SearchResults> {
        Box::pin(async move { self.run(request) })
    }

    fn per_instance(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(
        name: &str,
        description: &str,
        category: &str,
        price_cents: i64,
        stock: i32,
    ) -> ProductSnapshot {
        ProductSnapshot {
            uuid: Uuid::new_v4(),
            name: name.into(),
            description: description.into(),
            category: category.into(),
            price_cents,
            currency: "EUR".into(),
            stock,
        }
    }

    async fn catalogue() -> Embedded {
        let index = Embedded::new().unwrap();
        index
            .replace_all(&[
                product(
                    "Espresso cup",
                    "Porcelain cup for a double espresso",
                    "kitchen",
                    1250,
                    10,
                ),
                product(
                    "Coffee grinder",
                    "Burr grinder for espresso and filter",
                    "kitchen",
                    8900,
                    0,
                ),
                product("Espresso machine", "Dual boiler", "appliances", 129_900, 2),
                product("Tea pot", "Cast iron, 1 litre", "kitchen", 3400, 5),
                product("Running shoes", "Light trail shoes", "sport", 9900, 3),
            ])
            .await
            .unwrap();
        index
    }

    fn request(text: &str) -> SearchRequest {
        SearchRequest {
            text: text.into(),
            limit: 10,
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn names_rank_above_descriptions() {
        let index = catalogue().await;
        let results = index.search(&request("espresso")).await.unwrap();
        let names: Vec<&str> = results.hits.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(results.total, 3);
        assert_eq!(names[2], "Coffee grinder", "{names:?}");
    }

    #[tokio::test]
    async fn typos_and_prefixes_still_find_the_product() {
        let index = catalogue().await;
        for typo in ["espreso", "esprseso", "grindr", "espr"] {
            let results = index.search(&request(typo)).await.unwrap();
            assert!(results.total > 0, "{typo}");
        }
        assert_eq!(index.search(&request("xylophone")).await.unwrap().total, 0);
    }

    #[tokio::test]
    async fn a_three_letter_word_with_a_typo_is_found() {
        let index = catalogue().await;
        let results = index.search(&request("pto")).await.unwrap();
        assert_eq!(results.hits[0].name, "Tea pot");
    }

    #[tokio::test]
    async fn words_never_found_together_give_the_products_with_most_of_them() {
        let index = catalogue().await;
        // No product is both porcelain and running, or a trail grinder.
        let all = index.search(&request("porcelain running")).await.unwrap();
        assert_eq!(all.total, 0, "every word must match first");
        let results = super::super::search(&index, &request("trail shoes grinder"))
            .await
            .unwrap();
        assert!(results.relaxed);
        assert_eq!(results.total, 2);
        assert_eq!(results.hits[0].name, "Running shoes", "two of three words");
        // With a filter, only what it lets through.
        let filtered = SearchRequest {
            category: Some("kitchen".into()),
            ..request("porcelain running")
        };
        let results = super::super::search(&index, &filtered).await.unwrap();
        assert!(results.relaxed);
        assert_eq!(results.hits.len(), 1);
        assert_eq!(results.hits[0].name, "Espresso cup");
        // A query that matched as it was is not marked.
        let exact = super::super::search(&index, &request("espresso cup"))
            .await
            .unwrap();
        assert!(!exact.relaxed && exact.total > 0);
    }

    #[tokio::test]
    async fn filters_narrow_and_facets_count() {
        let index = catalogue().await;
        let in_kitchen_in_stock = SearchRequest {
            category: Some("kitchen".into()),
            in_stock: true,
            ..request("")
        };
        let results = index.search(&in_kitchen_in_stock).await.unwrap();
        let mut names: Vec<&str> = results.hits.iter().map(|h| h.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["Espresso cup", "Tea pot"]);

        let cheap = SearchRequest {
            max_price_cents: Some(5000),
            ..request("")
        };
        assert_eq!(index.search(&cheap).await.unwrap().total, 2);

        let all = index.search(&request("")).await.unwrap();
        assert_eq!(
            all.facets.category[0],
            Bucket {
                value: "kitchen".into(),
                count: 3
            }
        );
        let bands: Vec<(String, u64)> = all
            .facets
            .price
            .iter()
            .map(|b| (b.value.clone(), b.count))
            .collect();
        assert_eq!(
            bands,
            [
                ("0-10".into(), 0),
                ("10-50".into(), 2),
                ("50-100".into(), 2),
                ("100+".into(), 1)
            ]
        );
    }

    #[tokio::test]
    async fn a_changed_product_replaces_the_old_one_and_a_deleted_one_disappears() {
        let index = catalogue().await;
        let mut cup = product("Espresso cup", "Porcelain", "kitchen", 1250, 10);
        index.upsert(std::slice::from_ref(&cup)).await.unwrap();
        cup.name = "Cappuccino cup".into();
        index.upsert(std::slice::from_ref(&cup)).await.unwrap();
        let found = index.search(&request("cappuccino")).await.unwrap();
        assert_eq!(found.total, 1);
        assert_eq!(found.hits[0].uuid, cup.uuid);
        index.delete(cup.uuid).await.unwrap();
        assert_eq!(index.search(&request("cappuccino")).await.unwrap().total, 0);
    }
}
