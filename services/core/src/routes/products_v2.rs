use actix_web::{HttpResponse, web};
use dayone_model::BaseEntity;
use dayone_web::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::products::{filters, limit};
use crate::entities::product;
use crate::money::Money;
use crate::products::{self, Cursor};
use crate::state::CoreState;

/// A product in `/v2`: money is `{amount, currency}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductV2 {
    pub uuid: Uuid,
    pub name: String,
    pub description: String,
    pub category: String,
    pub price: Money,
    pub stock: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<product::Model> for ProductV2 {
    fn from(p: product::Model) -> Self {
        Self {
            price: Money::from_cents(p.price_cents, &p.currency),
            uuid: p.uuid,
            name: p.name,
            description: p.description,
            category: p.category,
            stock: p.stock,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductListV2 {
    pub items: Vec<ProductV2>,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub category: Option<String>,
    /// At least 0 (integer cents).
    #[param(minimum = 0)]
    pub min_price_cents: Option<i64>,
    /// At least 0, and not below `min_price_cents`.
    #[param(minimum = 0)]
    pub max_price_cents: Option<i64>,
    pub in_stock: Option<bool>,
}

/// The catalogue, newest first, with cursor pagination.
#[utoipa::path(
    get,
    path = "/v2/products",
    tag = "products",
    params(ListQuery),
    responses(
        (status = 200, description = "Products and the cursor of the next page", body = ProductListV2),
        (status = 422, description = "Invalid cursor, limit or filters", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn list(
    state: web::Data<CoreState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = limit(query.limit, "limit")?;
    let cursor = match &query.cursor {
        Some(raw) => Some(Cursor::decode(raw).ok_or_else(|| {
            ApiError::validation(&[("cursor", "is not a cursor from this API".into())])
        })?),
        None => None,
    };
    let filters = filters(
        query.category,
        query.min_price_cents,
        query.max_price_cents,
        query.in_stock,
    )?;
    let (items, next) = products::after(&state.db, &filters, cursor.as_ref(), limit).await?;
    Ok(HttpResponse::Ok().json(ProductListV2 {
        items: items.into_iter().map(ProductV2::from).collect(),
        next_cursor: next.map(|c| c.encode()),
    }))
}

/// One product.
#[utoipa::path(
    get,
    path = "/v2/products/{uuid}",
    tag = "products",
    params(("uuid" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product", body = ProductV2),
        (status = 404, description = "No such product", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn get(
    state: web::Data<CoreState>,
    uuid: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let found = product::Entity::find_by_uuid(&state.db, uuid.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("product"))?;
    Ok(HttpResponse::Ok().json(ProductV2::from(found)))
}
