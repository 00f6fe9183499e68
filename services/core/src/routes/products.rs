use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, HttpResponseBuilder, web};
use dayone_model::BaseEntity;
use dayone_web::ApiError;
use dayone_web::audit::AdminAct;
use dayone_web::auth::Caller;
use dayone_web::auth::api_keys::scopes;
use dayone_web::paging::{Page, PageBounds};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::entities::product;
use crate::products::{self, Filters, NewProduct, ProductChange};
use crate::state::CoreState;

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductV1 {
    pub uuid: Uuid,
    pub name: String,
    pub description: String,
    pub category: String,
    /// Integer cents (`/v2` has `price: {amount, currency}`).
    pub price_cents: i64,
    pub currency: String,
    pub stock: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<product::Model> for ProductV1 {
    fn from(p: product::Model) -> Self {
        Self {
            uuid: p.uuid,
            name: p.name,
            description: p.description,
            category: p.category,
            price_cents: p.price_cents,
            currency: p.currency,
            stock: p.stock,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductPage {
    pub items: Vec<ProductV1>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// 1 to 10,000.
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<u64>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
    pub category: Option<String>,
    /// At least 0 (integer cents).
    #[param(minimum = 0)]
    pub min_price_cents: Option<i64>,
    /// At least 0, and not below `min_price_cents`.
    #[param(minimum = 0)]
    pub max_price_cents: Option<i64>,
    pub in_stock: Option<bool>,
}

/// Checks paging and filters shared by both versions; `Err` is a 422.
pub(crate) fn filters(
    category: Option<String>,
    min: Option<i64>,
    max: Option<i64>,
    in_stock: Option<bool>,
) -> Result<Filters, ApiError> {
    let mut problems = Vec::new();
    if min.is_some_and(|m| m < 0) {
        problems.push(("min_price_cents", "must not be negative".to_owned()));
    }
    if max.is_some_and(|m| m < 0) {
        problems.push(("max_price_cents", "must not be negative".to_owned()));
    }
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        problems.push((
            "max_price_cents",
            "must not be below min_price_cents".to_owned(),
        ));
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(&problems));
    }
    Ok(Filters {
        category,
        min_price_cents: min,
        max_price_cents: max,
        in_stock: in_stock.unwrap_or(false),
    })
}

/// `/v1/products` and `/v1/orders` pages.
pub(crate) const PAGES: PageBounds = PageBounds {
    default_per_page: 20,
    max_per_page: 100,
};

pub(crate) fn limit(value: Option<u64>, name: &'static str) -> Result<u64, ApiError> {
    match value.unwrap_or(20) {
        n @ 1..=100 => Ok(n),
        _ => Err(ApiError::validation(&[(
            name,
            "must be between 1 and 100".into(),
        )])),
    }
}

/// `/v1/products` has a `/v2` successor: RFC 9745 `Deprecation`, RFC 8594
/// `Sunset` and a `successor-version` link on every answer.
fn deprecated(response: &mut HttpResponseBuilder, state: &CoreState, successor: &str) {
    let settings = &state.settings;
    response
        .insert_header((
            "Deprecation",
            format!("@{}", settings.v1_products_deprecated_at.timestamp()),
        ))
        .insert_header((
            "Sunset",
            settings
                .v1_products_sunset
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string(),
        ))
        .insert_header(("Link", format!("<{successor}>; rel=\"successor-version\"")));
}

/// The catalogue, newest first, page by page.
#[utoipa::path(
    get,
    path = "/v1/products",
    operation_id = "list_products",
    tag = "products",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of products (deprecated: see /v2/products)", body = ProductPage),
        (status = 422, description = "Invalid paging or filters", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn list(
    state: web::Data<CoreState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let page = Page::checked(query.page, query.per_page, PAGES)?;
    let filters = filters(
        query.category,
        query.min_price_cents,
        query.max_price_cents,
        query.in_stock,
    )?;
    let (items, total) = products::page(&state.db, &filters, page).await?;
    let mut response = HttpResponse::Ok();
    deprecated(&mut response, &state, "/v2/products");
    Ok(response.json(ProductPage {
        items: items.into_iter().map(ProductV1::from).collect(),
        page: page.page,
        per_page: page.per_page,
        total,
    }))
}

/// One product.
#[utoipa::path(
    get,
    path = "/v1/products/{uuid}",
    operation_id = "get_product",
    tag = "products",
    params(("uuid" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product (deprecated: see /v2/products/{uuid})", body = ProductV1),
        (status = 404, description = "No such product", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn get(
    state: web::Data<CoreState>,
    uuid: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let uuid = uuid.into_inner();
    let found = product::Entity::find_by_uuid(&state.db, uuid)
        .await?
        .ok_or_else(|| ApiError::not_found("product"))?;
    let mut response = HttpResponse::Ok();
    deprecated(&mut response, &state, &format!("/v2/products/{uuid}"));
    Ok(response.json(ProductV1::from(found)))
}

/// A change to a product: the fields present are set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    /// 1 to 200 characters, not only spaces.
    #[schema(pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$", max_length = 200)]
    pub name: Option<String>,
    /// At most 5,000 characters.
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// 1 to 50 lower-case letters, digits and dashes.
    #[schema(pattern = "^[a-z0-9-]{1,50}$")]
    pub category: Option<String>,
    /// 0 to 1,000,000,000.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub price_cents: Option<i64>,
    /// ISO 4217, e.g. `EUR`.
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
    /// 0 to 1,000,000.
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub stock: Option<i32>,
}

/// A new product: a name and a price at least; the currency defaults to
/// the shop's, the category to `general`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProductInput {
    /// 1 to 200 characters, not only spaces.
    #[schema(pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$", max_length = 200)]
    pub name: String,
    /// At most 5,000 characters.
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// 1 to 50 lower-case letters, digits and dashes.
    #[schema(pattern = "^[a-z0-9-]{1,50}$")]
    pub category: Option<String>,
    /// 0 to 1,000,000,000.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub price_cents: i64,
    /// ISO 4217, e.g. `EUR`.
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
    /// 0 to 1,000,000.
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub stock: Option<i32>,
}

impl From<NewProductInput> for ProductInput {
    fn from(new: NewProductInput) -> Self {
        Self {
            name: Some(new.name),
            description: new.description,
            category: new.category,
            price_cents: Some(new.price_cents),
            currency: new.currency,
            stock: new.stock,
        }
    }
}

/// Validates what is present; `creating` requires a name and a price.
fn check(input: &ProductInput, creating: bool) -> Result<(), ApiError> {
    let mut problems: Vec<(&str, String)> = Vec::new();
    match &input.name {
        Some(n) if n.trim().is_empty() || n.chars().count() > 200 => {
            problems.push(("name", "must be 1 to 200 characters".into()))
        }
        None if creating => problems.push(("name", "is required".into())),
        _ => {}
    }
    if input
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 5000)
    {
        problems.push(("description", "must be at most 5000 characters".into()));
    }
    if let Some(c) = &input.category
        && (c.is_empty()
            || c.len() > 50
            || !c
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'))
    {
        problems.push((
            "category",
            "must be 1 to 50 lower-case letters, digits or dashes".into(),
        ));
    }
    match input.price_cents {
        Some(p) if !(0..=1_000_000_000).contains(&p) => {
            problems.push(("price_cents", "must be between 0 and 1000000000".into()))
        }
        None if creating => problems.push(("price_cents", "is required".into())),
        _ => {}
    }
    if let Some(c) = &input.currency
        && (c.len() != 3 || !c.chars().all(|ch| ch.is_ascii_uppercase()))
    {
        problems.push((
            "currency",
            "must be a three-letter ISO 4217 code, e.g. EUR".into(),
        ));
    }
    if input.stock.is_some_and(|s| !(0..=1_000_000).contains(&s)) {
        problems.push(("stock", "must be between 0 and 1000000".into()));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(&problems))
    }
}

/// Adds a product (admins, and API keys granted `products:write`).
#[utoipa::path(
    post,
    path = "/v1/products",
    tag = "products",
    security(("bearer" = []), ("api_key" = [])),
    request_body = NewProductInput,
    responses(
        (status = 201, description = "Created", body = ProductV1),
        (status = 401, description = "No token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin, or a key without `products:write`", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "Invalid fields", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn create(
    state: web::Data<CoreState>,
    user: Caller,
    body: web::Json<NewProductInput>,
) -> Result<HttpResponse, ApiError> {
    user.require(scopes::PRODUCTS_WRITE)?;
    let input = ProductInput::from(body.into_inner());
    check(&input, true)?;
    let created = products::create(
        &state.db,
        &state.outbox,
        NewProduct {
            name: input.name.unwrap_or_default().trim().to_owned(),
            description: input.description.unwrap_or_default(),
            category: input.category.unwrap_or_else(|| "general".into()),
            price_cents: input.price_cents.unwrap_or_default(),
            currency: input
                .currency
                .unwrap_or_else(|| state.settings.default_currency.clone()),
            stock: input.stock.unwrap_or(0),
        },
        &AdminAct::new(&user, "product.create", ""),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/v1/products/{}", created.uuid)))
        .json(ProductV1::from(created)))
}

/// Changes a product (admins, and API keys granted `products:write`).
#[utoipa::path(
    patch,
    path = "/v1/products/{uuid}",
    tag = "products",
    security(("bearer" = []), ("api_key" = [])),
    params(("uuid" = Uuid, Path, description = "Product id")),
    request_body = ProductInput,
    responses(
        (status = 200, description = "Updated", body = ProductV1),
        (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such product", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "Invalid fields", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn update(
    state: web::Data<CoreState>,
    user: Caller,
    uuid: web::Path<Uuid>,
    body: web::Json<ProductInput>,
) -> Result<HttpResponse, ApiError> {
    user.require(scopes::PRODUCTS_WRITE)?;
    let input = body.into_inner();
    check(&input, false)?;
    let change = ProductChange {
        name: input.name.map(|n| n.trim().to_owned()),
        description: input.description,
        category: input.category,
        price_cents: input.price_cents,
        currency: input.currency,
        stock: input.stock,
    };
    let uuid = uuid.into_inner();
    let act = AdminAct::new(&user, "product.update", uuid);
    let updated = products::update(&state.db, &state.outbox, uuid, change, &act)
        .await?
        .ok_or_else(|| ApiError::not_found("product"))?;
    Ok(HttpResponse::Ok().json(ProductV1::from(updated)))
}

/// Deletes a product (admins, and API keys granted `products:write`; a soft
/// delete: orders keep their lines).
#[utoipa::path(
    delete,
    path = "/v1/products/{uuid}",
    tag = "products",
    security(("bearer" = []), ("api_key" = [])),
    params(("uuid" = Uuid, Path, description = "Product id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such product", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn delete(
    state: web::Data<CoreState>,
    user: Caller,
    uuid: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    user.require(scopes::PRODUCTS_WRITE)?;
    let uuid = uuid.into_inner();
    let act = AdminAct::new(&user, "product.delete", uuid);
    if products::delete(&state.db, &state.outbox, uuid, &act).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("product"))
    }
}
