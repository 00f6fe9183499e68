use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use dayone_web::ApiError;
use dayone_web::auth::AuthenticatedUser;
use dayone_web::paging::Page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::orders::{self, OrderResponse, Wanted};
use crate::state::CoreState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub product_uuid: Uuid,
    /// 1 to 100.
    #[schema(minimum = 1, maximum = 100)]
    pub quantity: i32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrder {
    /// 1 to 50 lines.
    #[schema(min_items = 1, max_items = 50)]
    pub items: Vec<Item>,
}

/// Places an order for the caller. Stock is checked and reserved in the
/// same transaction; the receipt email and `order.placed` go out through
/// the outbox. Send an `Idempotency-Key` to make retries safe: a repeat
/// gets the first answer (with `Idempotent-Replayed: true`).
#[utoipa::path(
    post,
    path = "/v1/orders",
    tag = "orders",
    security(("bearer" = [])),
    request_body = PlaceOrder,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request return the first result")),
    responses(
        (status = 201, description = "Placed", body = OrderResponse),
        (status = 401, description = "No token", body = dayone_web::error::ErrorDoc),
        (status = 409, description = "Not enough stock", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "Invalid items, or the key was used for another request", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn place(
    req: HttpRequest,
    state: web::Data<CoreState>,
    user: AuthenticatedUser,
    body: web::Json<PlaceOrder>,
) -> Result<HttpResponse, ApiError> {
    let key = dayone_web::idempotency::key(&req)?;
    let body = body.into_inner();
    let mut problems = Vec::new();
    if body.items.is_empty() || body.items.len() > 50 {
        problems.push(("items", "must list 1 to 50 products".to_owned()));
    }
    if body.items.iter().any(|i| !(1..=100).contains(&i.quantity)) {
        problems.push((
            "items",
            "each quantity must be between 1 and 100".to_owned(),
        ));
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(&problems));
    }
    let wanted = body
        .items
        .into_iter()
        .map(|i| Wanted {
            product: i.product_uuid,
            quantity: i.quantity,
        })
        .collect();
    match orders::place(
        &state.db,
        &state.outbox,
        user.user_uuid,
        wanted,
        key.as_deref(),
    )
    .await?
    {
        Ok(order) => Ok(HttpResponse::Created()
            .insert_header((LOCATION, format!("/v1/orders/{}", order.uuid)))
            .json(order)),
        Err(replay) => Ok(replay.response()),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct Paging {
    /// 1 to 10,000.
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<u64>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderPage {
    pub items: Vec<OrderResponse>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

/// The caller's own orders, newest first.
#[utoipa::path(
    get,
    path = "/v1/orders",
    operation_id = "list_orders",
    tag = "orders",
    security(("bearer" = [])),
    params(Paging),
    responses(
        (status = 200, description = "The caller's orders", body = OrderPage),
        (status = 422, description = "`page` or `per_page` out of bounds", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn list(
    state: web::Data<CoreState>,
    user: AuthenticatedUser,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::checked(paging.page, paging.per_page, super::products::PAGES)?;
    let (items, total) = orders::mine(&state.db, user.user_uuid, page).await?;
    Ok(HttpResponse::Ok().json(OrderPage {
        items,
        page: page.page,
        per_page: page.per_page,
        total,
    }))
}

async fn visible(
    state: &CoreState,
    user: &AuthenticatedUser,
    uuid: Uuid,
) -> Result<crate::entities::order::Model, ApiError> {
    // Someone else's order is a 404, not a 403: its existence is not theirs
    // to learn.
    orders::visible(&state.db, uuid, user.user_uuid, user.is_admin())
        .await?
        .ok_or_else(|| ApiError::not_found("order"))
}

/// One order: its owner's, or any for an admin.
#[utoipa::path(
    get,
    path = "/v1/orders/{uuid}",
    operation_id = "get_order",
    tag = "orders",
    security(("bearer" = [])),
    params(("uuid" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = OrderResponse),
        (status = 404, description = "No such order of the caller", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn get(
    state: web::Data<CoreState>,
    user: AuthenticatedUser,
    uuid: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let order = visible(&state, &user, uuid.into_inner()).await?;
    Ok(HttpResponse::Ok().json(orders::response(&state.db, order).await?))
}

/// Cancels a placed order and releases its stock.
#[utoipa::path(
    post,
    path = "/v1/orders/{uuid}/cancel",
    tag = "orders",
    security(("bearer" = [])),
    params(("uuid" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "Cancelled", body = OrderResponse),
        (status = 404, description = "No such order of the caller", body = dayone_web::error::ErrorDoc),
        (status = 409, description = "Already cancelled", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn cancel(
    state: web::Data<CoreState>,
    user: AuthenticatedUser,
    uuid: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let order = visible(&state, &user, uuid.into_inner()).await?;
    let cancelled = orders::cancel(&state.db, &state.outbox, order).await?;
    Ok(HttpResponse::Ok().json(cancelled))
}
