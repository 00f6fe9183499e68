//! The Elasticsearch/OpenSearch backend against a local HTTP server that
//! checks the requests and answers with Elasticsearch's documented response
//! bodies (`tests/fixtures/elasticsearch`; no cluster can run here).

use dayone_core::search::elastic::Elastic;
use dayone_core::search::{SearchBackend, SearchRequest};
use dayone_core::settings::ElasticsearchSettings;
use dayone_model::messages::catalog::ProductSnapshot;
use serde_json::{Value, json};
use wiremock::matchers::{basic_auth, body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/elasticsearch/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn backend(server: &MockServer) -> Elastic {
    Elastic::new(&ElasticsearchSettings {
        url: server.uri(),
        index: "dayone-products".into(),
        username: "elastic".into(),
        password: "s3cret".to_owned().into(),
    })
    .unwrap()
}

fn product() -> ProductSnapshot {
    ProductSnapshot {
        uuid: "0b9a3f4e-6a61-4ad4-9b55-9a3c4f0de101".parse().unwrap(),
        name: "Espresso cup".into(),
        description: "Porcelain".into(),
        category: "kitchen".into(),
        price_cents: 1250,
        currency: "EUR".into(),
        stock: 10,
    }
}

#[tokio::test]
async fn a_search_sends_a_fuzzy_multi_match_with_filters_and_reads_hits_and_facets() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/dayone-products/_search"))
        .and(basic_auth("elastic", "s3cret"))
        .and(body_partial_json(json!({
            "from": 0, "size": 10, "track_total_hits": true,
            "query": {"bool": {
                "must": [{"bool": {"should": [{"multi_match": {"query": "espreso", "fields": ["name^4", "description"], "fuzziness": "AUTO", "operator": "and"}}]}}],
                "filter": [{"term": {"category": "kitchen"}}, {"range": {"price_cents": {"lte": 200000}}}, {"range": {"stock": {"gte": 1}}}]
            }},
            "aggs": {"category": {"terms": {"field": "category", "size": 20}}}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("search_response.json")))
        .expect(1)
        .mount(&server)
        .await;

    let results = backend(&server)
        .search(&SearchRequest {
            text: "espreso".into(),
            category: Some("kitchen".into()),
            max_price_cents: Some(200_000),
            in_stock: true,
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();

    assert_eq!(results.total, 2);
    assert_eq!(results.hits[0].name, "Espresso cup");
    assert_eq!(results.hits[0].price_cents, 1250);
    assert!(results.hits[0].score > results.hits[1].score);
    assert_eq!(results.facets.category.len(), 2);
    let bands: Vec<(String, u64)> = results
        .facets
        .price
        .iter()
        .map(|b| (b.value.clone(), b.count))
        .collect();
    assert_eq!(
        bands,
        [
            ("0-10".into(), 0),
            ("10-50".into(), 1),
            ("50-100".into(), 0),
            ("100+".into(), 1)
        ]
    );
}

#[tokio::test]
async fn an_opensearch_style_numeric_total_is_read_too() {
    let server = MockServer::start().await;
    let mut body = fixture("search_response.json");
    body["hits"]["total"] = json!(2);
    Mock::given(method("POST"))
        .and(path("/dayone-products/_search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let results = backend(&server)
        .search(&SearchRequest {
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(results.total, 2);
}

#[tokio::test]
async fn creating_an_index_that_exists_is_fine_but_a_bad_mapping_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/dayone-products"))
        .and(body_partial_json(json!({"mappings": {"properties": {"category": {"type": "keyword"}, "price_cents": {"type": "long"}}}})))
        .respond_with(ResponseTemplate::new(400).set_body_json(fixture("index_exists.json")))
        .mount(&server)
        .await;
    backend(&server).ensure_index().await.unwrap();

    let failing = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/dayone-products"))
        .respond_with(ResponseTemplate::new(400).set_body_json(fixture("mapping_error.json")))
        .mount(&failing)
        .await;
    let error = backend(&failing)
        .ensure_index()
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("unknown analyzer"), "{error}");
}

#[tokio::test]
async fn one_change_is_a_put_of_the_document_and_a_delete_of_a_missing_one_is_fine() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/dayone-products/_doc/0b9a3f4e-6a61-4ad4-9b55-9a3c4f0de101"))
        .and(body_partial_json(json!({"name": "Espresso cup", "category": "kitchen", "price_cents": 1250, "stock": 10})))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("index_doc.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(
            "/dayone-products/_doc/0b9a3f4e-6a61-4ad4-9b55-9a3c4f0de101",
        ))
        .respond_with(ResponseTemplate::new(404).set_body_json(fixture("delete_not_found.json")))
        .expect(1)
        .mount(&server)
        .await;
    let backend = backend(&server);
    backend.upsert(&[product()]).await.unwrap();
    backend.delete(product().uuid).await.unwrap();
}

#[tokio::test]
async fn a_bulk_with_a_failed_item_is_an_error_naming_the_reason() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/_bulk"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("bulk_with_error.json")))
        .mount(&server)
        .await;
    let mut second = product();
    second.uuid = "7c0f1a2b-3d4e-4f50-8a61-b2c3d4e5f602".parse().unwrap();
    let error = backend(&server)
        .upsert(&[product(), second])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("failed to parse field [price_cents]"),
        "{error}"
    );
    let requests = server.received_requests().await.unwrap();
    let lines: Vec<&str> = std::str::from_utf8(&requests[0].body)
        .unwrap()
        .lines()
        .collect();
    assert_eq!(lines.len(), 4, "an action line and a document per product");
    assert_eq!(requests[0].headers["content-type"], "application/x-ndjson");
}
