//! The Elasticsearch 8 / OpenSearch 2 backend, over their REST API with the
//! HTTP client the service already has (the `elasticsearch` crate only has
//! alphas on an older reqwest; both servers answer the same JSON here).
//!
//! One shared index; documents are keyed by the product's uuid. The query
//! is a `multi_match` over name (boosted) and description with
//! `fuzziness: AUTO` (Elasticsearch's own 0/1/2 edits by term length, like
//! the embedded backend), plus a `match_phrase_prefix` on the name for
//! search as you type; filters go in the bool filter, facets are a `terms`
//! and a `range` aggregation.

use std::time::Duration;

use dayone_model::messages::catalog::ProductSnapshot;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    BoxFuture, Bucket, Facets, Hit, PRICE_BANDS, SearchBackend, SearchRequest, SearchResults,
};
use crate::settings::ElasticsearchSettings;

pub struct Elastic {
    client: reqwest::Client,
    base: String,
    index: String,
    auth: Option<(String, String)>,
}

fn document(p: &ProductSnapshot) -> Value {
    json!({
        "uuid": p.uuid,
        "name": p.name,
        "description": p.description,
        "category": p.category,
        "price_cents": p.price_cents,
        "currency": p.currency,
        "stock": p.stock,
    })
}

/// The index mapping: analysed text for search, keywords and numbers for
/// filters and facets.
pub fn mapping() -> Value {
    json!({
        "mappings": {
            "properties": {
                "uuid": {"type": "keyword"},
                "name": {"type": "text", "analyzer": "english"},
                "description": {"type": "text", "analyzer": "english"},
                "category": {"type": "keyword"},
                "price_cents": {"type": "long"},
                "currency": {"type": "keyword", "index": false},
                "stock": {"type": "integer"}
            }
        }
    })
}

/// The `_search` body for a request.
pub fn search_body(request: &SearchRequest) -> Value {
    let mut must = Vec::new();
    if !request.text.trim().is_empty() {
        must.push(json!({
            "bool": {
                "should": [
                    {"multi_match": {
                        "query": request.text,
                        "fields": ["name^4", "description"],
                        "fuzziness": "AUTO",
                        "operator": if request.any_word { "or" } else { "and" }
                    }},
                    {"match_phrase_prefix": {"name": {"query": request.text, "boost": 1.5}}}
                ],
                "minimum_should_match": 1
            }
        }));
    }
    let mut filter = Vec::new();
    if let Some(category) = &request.category {
        filter.push(json!({"term": {"category": category}}));
    }
    if request.min_price_cents.is_some() || request.max_price_cents.is_some() {
        let mut range = serde_json::Map::new();
        if let Some(min) = request.min_price_cents {
            range.insert("gte".into(), json!(min));
        }
        if let Some(max) = request.max_price_cents {
            range.insert("lte".into(), json!(max));
        }
        filter.push(json!({"range": {"price_cents": range}}));
    }
    if request.in_stock {
        filter.push(json!({"range": {"stock": {"gte": 1}}}));
    }
    let ranges: Vec<Value> = PRICE_BANDS
        .iter()
        .map(|(key, from, to)| match to {
            Some(to) => json!({"key": key, "from": from, "to": to}),
            None => json!({"key": key, "from": from}),
        })
        .collect();
    json!({
        "from": request.offset,
        "size": request.limit,
        "track_total_hits": true,
        "query": {"bool": {"must": must, "filter": filter}},
        "aggs": {
            "category": {"terms": {"field": "category", "size": 20}},
            "price": {"range": {"field": "price_cents", "ranges": ranges}}
        }
    })
}

/// Reads a `_search` response.
pub fn results(response: &Value) -> anyhow::Result<SearchResults> {
    let hits = response["hits"]["hits"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("no hits in the search response"))?
        .iter()
        .map(|hit| {
            let s = &hit["_source"];
            Hit {
                uuid: s["uuid"]
                    .as_str()
                    .and_then(|u| u.parse().ok())
                    .unwrap_or_default(),
                name: s["name"].as_str().unwrap_or_default().to_owned(),
                description: s["description"].as_str().unwrap_or_default().to_owned(),
                category: s["category"].as_str().unwrap_or_default().to_owned(),
                price_cents: s["price_cents"].as_i64().unwrap_or_default(),
                currency: s["currency"].as_str().unwrap_or_default().to_owned(),
                stock: s["stock"].as_i64().unwrap_or_default() as i32,
                score: hit["_score"].as_f64().unwrap_or_default() as f32,
            }
        })
        .collect();
    Ok(SearchResults {
        // Elasticsearch 7+ answers an object; OpenSearch can too, older ones a number.
        total: response["hits"]["total"]["value"]
            .as_u64()
            .or_else(|| response["hits"]["total"].as_u64())
            .unwrap_or_default(),
        hits,
        facets: facets(&response["aggregations"]),
        relaxed: false,
    })
}

impl Elastic {
    pub fn new(settings: &ElasticsearchSettings) -> anyhow::Result<Self> {
        let password = settings.password.expose_secret();
        Ok(Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
            base: settings.url.trim_end_matches('/').to_owned(),
            index: settings.index.clone(),
            auth: (!settings.username.is_empty())
                .then(|| (settings.username.clone(), password.to_owned())),
        })
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.client.request(method, format!("{}/{path}", self.base));
        match &self.auth {
            Some((user, password)) => request.basic_auth(user, Some(password)),
            None => request,
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder, allow: &[u16]) -> anyhow::Result<Value> {
        let response = request.send().await?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() || allow.contains(&status.as_u16()) {
            return Ok(body);
        }
        let reason = body["error"]["reason"]
            .as_str()
            .unwrap_or("no reason given");
        anyhow::bail!("search backend answered {status}: {reason}")
    }

    /// Creates the index with its mapping unless it exists.
    pub async fn ensure_index(&self) -> anyhow::Result<()> {
        let body = self
            .send(
                self.request(reqwest::Method::PUT, &self.index)
                    .json(&mapping()),
                &[400],
            )
            .await?;
        let kind = body["error"]["type"].as_str().unwrap_or_default();
        if !kind.is_empty() && kind != "resource_already_exists_exception" {
            let reason = body["error"]["reason"].as_str().unwrap_or_default();
            anyhow::bail!("could not create the search index: {kind}: {reason}");
        }
        Ok(())
    }

    async fn bulk(&self, products: &[ProductSnapshot]) -> anyhow::Result<()> {
        if products.is_empty() {
            return Ok(());
        }
        let mut lines = String::new();
        for p in products {
            lines.push_str(&json!({"index": {"_index": self.index, "_id": p.uuid}}).to_string());
            lines.push('\n');
            lines.push_str(&document(p).to_string());
            lines.push('\n');
        }
        let body = self
            .send(
                self.request(reqwest::Method::POST, "_bulk")
                    .header("content-type", "application/x-ndjson")
                    .body(lines),
                &[],
            )
            .await?;
        if body["errors"].as_bool() == Some(true) {
            let first = body["items"]
                .as_array()
                .and_then(|items| {
                    items
                        .iter()
                        .find_map(|i| i["index"]["error"]["reason"].as_str())
                })
                .unwrap_or("unknown");
            anyhow::bail!("bulk indexing failed: {first}");
        }
        Ok(())
    }
}

impl SearchBackend for Elastic {
    fn upsert<'a>(&'a self, products: &'a [ProductSnapshot]) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let [one] = products {
                let path = format!("{}/_doc/{}", self.index, one.uuid);
                self.send(
                    self.request(reqwest::Method::PUT, &path)
                        .json(&document(one)),
                    &[],
                )
                .await?;
                return Ok(());
            }
            self.bulk(products).await
        })
    }

    fn delete(&self, product: Uuid) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let path = format!("{}/_doc/{product}", self.index);
            // Deleting what is not there is fine: the goal is its absence.
            self.send(self.request(reqwest::Method::DELETE, &path), &[404])
                .await?;
            Ok(())
        })
    }

    fn replace_all<'a>(&'a self, products: &'a [ProductSnapshot]) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.ensure_index().await?;
            let path = format!(
                "{}/_delete_by_query?conflicts=proceed&refresh=true",
                self.index
            );
            self.send(
                self.request(reqwest::Method::POST, &path)
                    .json(&json!({"query": {"match_all": {}}})),
                &[],
            )
            .await?;
            for chunk in products.chunks(1000) {
                self.bulk(chunk).await?;
            }
            Ok(())
        })
    }

    fn search<'a>(&'a self, request: &'a SearchRequest) -> BoxFuture<'a, SearchResults> {
        Box::pin(async move {
            let path = format!("{}/_search", self.index);
            let body = self
                .send(
                    self.request(reqwest::Method::POST, &path)
                        .json(&search_body(request)),
                    &[],
                )
                .await?;
            results(&body)
        })
    }

    fn per_instance(&self) -> bool {
        false
    }
}

/// Buckets of Elasticsearch's aggregation results.
fn facets(aggregated: &Value) -> Facets {
    let buckets = |name: &str, keep_empty: bool| -> Vec<Bucket> {
        aggregated[name]["buckets"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|b| {
                        let value = match &b["key"] {
                            Value::String(s) => s.clone(),
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
