use actix_web::{HttpResponse, web};
use dayone_web::ApiError;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::search::{SearchRequest, SearchResults};
use crate::state::CoreState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Words to look for (typos are tolerated), at most 200 characters;
    /// empty lists everything.
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub category: Option<String>,
    /// At least 0 (integer cents).
    #[param(minimum = 0)]
    pub min_price_cents: Option<i64>,
    /// At least 0, and not below `min_price_cents`.
    #[param(minimum = 0)]
    pub max_price_cents: Option<i64>,
    pub in_stock: Option<bool>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// 0 to 10,000.
    #[param(minimum = 0, maximum = 10000)]
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
    state: web::Data<CoreState>,
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
