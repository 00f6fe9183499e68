//! The embedded backend: a tantivy index in memory.
//!
//! Each query term must match (a conjunction, so adding words narrows the
//! results), either exactly or within its edit distance (typos,
//! transpositions counting as one edit); the last term also matches as a
//! prefix (search as you type). The other terms a word stands for are read
//! from the term dictionaries first, at most fifty per kind, the most
//! frequent (Elasticsearch's `max_expansions`). Exact matches weigh more
//! than the others and the name more than the description. Filters run as
//! required clauses; the total and the facets are counted in one pass over
//! the matches from the fast fields.

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex};

use dayone_model::messages::catalog::ProductSnapshot;
use tantivy::collector::{Collector, SegmentCollector, TopDocs};
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, DfaWrapper, FuzzyTermQuery, Occur, Query, RangeQuery,
    TermQuery, TermSetQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer};
use tantivy::{
    DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, Searcher, SegmentOrdinal,
    SegmentReader, TantivyDocument, Term, doc,
};
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

    /// One query word: the word itself in the name and the description
    /// (scored by BM25, the name four times as much), and the other index
    /// terms it stands for, each kind at a constant score: those within its
    /// edit distance (typos) and, for the last word, those it begins (search
    /// as you type). The other terms are looked up in the term dictionaries
    /// first, so a word typed right with no near neighbour costs two term
    /// lookups, not a scan of its every match per kind.
    fn word(
        &self,
        searcher: &Searcher,
        word: &str,
        last: bool,
    ) -> anyhow::Result<Vec<(Occur, Box<dyn Query>)>> {
        let f = self.fields;
        let exact = [f.name, f.description].map(|field| Term::from_field_text(field, word));
        let scored = |term: &Term, boost| -> (Occur, Box<dyn Query>) {
            let query = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
            (
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(query), boost)),
            )
        };
        let mut clauses = vec![scored(&exact[0], 4.0), scored(&exact[1], 1.0)];
        let distance = fuzziness(word);
        let fuzzy = |field| FuzzyTermQuery::new(Term::from_field_text(field, word), distance, true);
        let mut kinds = Vec::new();
        if distance > 0 {
            kinds.push((f.name, fuzzy(f.name).automaton()?, 2.0));
            kinds.push((f.description, fuzzy(f.description).automaton()?, 0.5));
        }
        if last {
            let prefix = FuzzyTermQuery::new_prefix(Term::from_field_text(f.name, word), 0, false);
            kinds.push((f.name, prefix.automaton()?, 1.5));
        }
        for (field, automaton, boost) in kinds {
            let terms = neighbours(searcher, field, word, &automaton)?;
            if !terms.is_empty() {
                let set = TermSetQuery::new(terms);
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(set), boost)),
                ));
            }
        }
        Ok(clauses)
    }

    /// The filters of `request` as required clauses.
    fn filters(&self, request: &SearchRequest) -> Vec<(Occur, Box<dyn Query>)> {
        let f = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
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
        clauses
    }

    /// The query for `request`.
    fn query(
        &self,
        searcher: &Searcher,
        request: &SearchRequest,
    ) -> anyhow::Result<Box<dyn Query>> {
        let terms = self.terms(&request.text);
        let last = terms.len().saturating_sub(1);
        let words = terms
            .iter()
            .enumerate()
            .map(|(i, word)| self.word(searcher, word, i == last))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut clauses = self.filters(request);
        if words.is_empty() {
            // Filters only: everything they let through.
            if clauses.is_empty() {
                return Ok(Box::new(AllQuery));
            }
            clauses.push((Occur::Must, Box::new(AllQuery)));
            return Ok(Box::new(BooleanQuery::new(clauses)));
        }
        if request.any_word {
            // Any word will do, each one matched adding to the score: one
            // flat union, the same sum as a union of unions without merging
            // twice.
            let any: Vec<_> = words.into_iter().flatten().collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        } else {
            for word in words {
                clauses.push((Occur::Must, Box::new(BooleanQuery::new(word))));
            }
        }
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    fn run(&self, request: &SearchRequest) -> anyhow::Result<SearchResults> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let query = self.query(&searcher, request)?;
        let top = TopDocs::with_limit(request.limit.max(1))
            .and_offset(request.offset)
            .order_by_score();
        let (top, counted) = searcher.search(&*query, &(top, FacetCounts))?;
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
        Ok(SearchResults {
            total: counted.total,
            hits,
            facets: counted.facets(),
            relaxed: false,
        })
    }
}

/// At most this many other terms per word and kind, the most frequent
/// first (Elasticsearch's `max_expansions` for fuzzy and prefix queries), so
/// that a one-letter prefix does not become a query for every term.
const MAX_EXPANSIONS: usize = 50;

/// The terms of `field` that `automaton` accepts, other than `word` itself,
/// over every segment; the [`MAX_EXPANSIONS`] most frequent.
fn neighbours(
    searcher: &Searcher,
    field: Field,
    word: &str,
    automaton: &DfaWrapper,
) -> anyhow::Result<Vec<Term>> {
    let mut found: HashMap<Vec<u8>, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        let index = segment.inverted_index(field)?;
        let mut stream = index.terms().search(automaton).into_stream()?;
        while stream.advance() {
            if stream.key() != word.as_bytes() {
                *found.entry(stream.key().to_vec()).or_default() +=
                    u64::from(stream.value().doc_freq);
            }
        }
    }
    let mut found: Vec<(Vec<u8>, u64)> = found.into_iter().collect();
    found.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(found
        .into_iter()
        .take(MAX_EXPANSIONS)
        .filter_map(|(bytes, _)| {
            std::str::from_utf8(&bytes)
                .ok()
                .map(|text| Term::from_field_text(field, text))
        })
        .collect())
}

/// Counts every match, per category and per price band, from the fast
/// fields: one array slot per category and band, no aggregation tree.
struct FacetCounts;

/// One segment's counts: per category by its ordinal in the segment's
/// dictionary (which the harvest turns into names), per band in order.
struct SegmentFacetCounts {
    categories: Option<StrColumn>,
    prices: Column<u64>,
    total: u64,
    per_category: Vec<u64>,
    per_band: [u64; PRICE_BANDS.len()],
}

/// What [`FacetCounts`] found over all segments.
#[derive(Default)]
struct Counted {
    total: u64,
    per_category: HashMap<String, u64>,
    per_band: [u64; PRICE_BANDS.len()],
}

impl Counted {
    /// The categories most first (then by name), at most 20 as before (only
    /// those with matches: the harvest keeps no empty one); the price bands
    /// in order, empty ones included.
    fn facets(self) -> Facets {
        let mut category: Vec<Bucket> = self
            .per_category
            .into_iter()
            .map(|(value, count)| Bucket { value, count })
            .collect();
        category.sort_unstable_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        category.truncate(20);
        let price = PRICE_BANDS
            .iter()
            .zip(self.per_band)
            .map(|((key, _, _), count)| Bucket {
                value: (*key).to_owned(),
                count,
            })
            .collect();
        Facets { category, price }
    }
}

/// The band of a price: bands are `[from, to)`, in order, the last open.
fn band_of(cents: u64) -> usize {
    PRICE_BANDS
        .iter()
        .position(|(_, _, to)| to.is_none_or(|to| cents < u64::try_from(to).unwrap_or(0)))
        .unwrap_or(PRICE_BANDS.len() - 1)
}

impl Collector for FacetCounts {
    type Fruit = Counted;
    type Child = SegmentFacetCounts;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentFacetCounts> {
        let fast = segment.fast_fields();
        let categories = fast.str("category")?;
        let per_category = vec![0; categories.as_ref().map_or(0, |c| c.num_terms())];
        Ok(SegmentFacetCounts {
            categories,
            prices: fast.u64("price_cents")?,
            total: 0,
            per_category,
            per_band: [0; PRICE_BANDS.len()],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Counted>) -> tantivy::Result<Counted> {
        let mut all = Counted::default();
        for segment in segments {
            all.total += segment.total;
            for (category, count) in segment.per_category {
                *all.per_category.entry(category).or_default() += count;
            }
            for (sum, count) in all.per_band.iter_mut().zip(segment.per_band) {
                *sum += count;
            }
        }
        Ok(all)
    }
}

impl SegmentCollector for SegmentFacetCounts {
    type Fruit = Counted;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.total += 1;
        if let Some(ord) = self.categories.as_ref().and_then(|c| c.ords().first(doc))
            && let Some(slot) = self.per_category.get_mut(ord as usize)
        {
            *slot += 1;
        }
        if let Some(cents) = self.prices.first(doc) {
            self.per_band[band_of(cents)] += 1;
        }
    }

    fn harvest(self) -> Counted {
        let mut per_category = HashMap::new();
        if let Some(column) = &self.categories {
            for (ord, count) in self.per_category.iter().enumerate() {
                let mut name = String::new();
                if *count > 0 && column.ord_to_str(ord as u64, &mut name).unwrap_or(false) {
                    per_category.insert(name, *count);
                }
            }
        }
        Counted {
            total: self.total,
            per_category,
            per_band: self.per_band,
        }
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
    async fn facets_add_up_across_segments_whose_dictionaries_differ() {
        let index = catalogue().await;
        // Each upsert commits a segment of its own, where "audio" is the
        // first category (ordinal 0) and "kitchen" absent or later.
        index
            .upsert(&[product("Speaker", "Bookshelf speaker", "audio", 19_900, 1)])
            .await
            .unwrap();
        index
            .upsert(&[
                product("Headphones", "Closed back", "audio", 7_900, 1),
                product("Mug", "Stoneware mug", "kitchen", 900, 1),
            ])
            .await
            .unwrap();
        let all = index.search(&request("")).await.unwrap();
        assert_eq!(all.total, 8);
        let categories: Vec<(&str, u64)> = all
            .facets
            .category
            .iter()
            .map(|b| (b.value.as_str(), b.count))
            .collect();
        assert_eq!(
            categories,
            [
                ("kitchen", 4),
                ("audio", 2),
                ("appliances", 1),
                ("sport", 1)
            ]
        );
        let bands: Vec<u64> = all.facets.price.iter().map(|b| b.count).collect();
        assert_eq!(bands, [1, 2, 3, 2]);
    }

    #[tokio::test]
    async fn a_short_prefix_stands_for_at_most_fifty_terms_the_most_frequent() {
        let index = Embedded::new().unwrap();
        // "s0" .. "s59": "s0" in 61 names, "s1" in 60, and so on down.
        let products: Vec<ProductSnapshot> = (0..60)
            .flat_map(|word| {
                (0..=60 - word).map(move |_| product(&format!("s{word}"), "", "home", 100, 1))
            })
            .collect();
        index.replace_all(&products).await.unwrap();
        let searcher = index.reader.searcher();
        let prefix =
            FuzzyTermQuery::new_prefix(Term::from_field_text(index.fields.name, "s"), 0, false);
        let terms = neighbours(
            &searcher,
            index.fields.name,
            "s",
            &prefix.automaton().unwrap(),
        )
        .unwrap();
        assert_eq!(terms.len(), MAX_EXPANSIONS);
        let texts: Vec<String> = terms
            .iter()
            .filter_map(|t| t.value().as_str().map(str::to_owned))
            .collect();
        assert_eq!(&texts[..3], ["s0", "s1", "s2"]);
        assert!(
            !texts.contains(&"s59".to_owned()),
            "the rarest are left out"
        );
        // The exact word is never among its own neighbours.
        let fuzzy = FuzzyTermQuery::new(Term::from_field_text(index.fields.name, "s1"), 1, true);
        let terms = neighbours(
            &searcher,
            index.fields.name,
            "s1",
            &fuzzy.automaton().unwrap(),
        )
        .unwrap();
        assert!(terms.iter().all(|t| t.value().as_str() != Some("s1")));
        assert!(!terms.is_empty());
        // And a search with it still finds products.
        assert!(index.search(&request("s")).await.unwrap().total > 0);
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
