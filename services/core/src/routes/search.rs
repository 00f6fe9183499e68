use std::sync::Arc;

use actix_web::{HttpResponse, web};
use dayone_web::ApiError;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::search::{SearchRequest, SearchResults};
use crate::state::CoreState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Words to look for (typos are tolerated); empty lists everything.
    pub q: Option<String>,
    pub category: Option<String>,
    pub min_price_cents: Option<i64>,
    pub max_price_cents: Option<i64>,
    pub in_stock: Option<bool>,
    /// 1 to 100 (default 20).
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// Searches products by relevance, with filters and facets.
#[utoipa::path(
    get,
    path = "/v1/search",
    tag = "search",
    params(SearchQuery),
    responses(
        (status = 200, description = "Hits, total and facets", body = SearchResults),
        (status = 422, description = "Invalid query", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn search(
    state: web::Data<Arc<CoreState>>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let text = query.q.unwrap_or_default();
    if text.chars().count() > 200 {
        return Err(ApiError::validation(&[(
            "q",
            "must be at most 200 characters".into(),
        )]));
    }
    let limit = super::products::limit(query.limit, "limit")?;
    let offset = query.offset.unwrap_or(0);
    if offset > 10_000 {
        return Err(ApiError::validation(&[(
            "offset",
            "must be at most 10000".into(),
        )]));
    }
    let filters = super::products::filters(
        query.category,
        query.min_price_cents,
        query.max_price_cents,
        query.in_stock,
    )?;
    let request = SearchRequest {
        text,
        category: filters.category,
        min_price_cents: filters.min_price_cents,
        max_price_cents: filters.max_price_cents,
        in_stock: filters.in_stock,
        limit: limit as usize,
        offset: offset as usize,
        any_word: false,
    };
    let results = crate::search::search(state.search.as_ref(), &request)
        .await
        .map_err(|e| ApiError::unavailable("search", e))?;
    Ok(HttpResponse::Ok().json(results))
}
