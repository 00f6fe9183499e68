//! Orders. Placing one checks and reserves stock under row locks in one
//! transaction with the order, its `order.placed` event, the receipt email
//! job and the products' new stock (outbox). An `Idempotency-Key` makes a
//! retried POST return the first answer instead of ordering twice.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use chrono::Utc;
use dayone_broker::Outbox;
use dayone_model::messages::catalog::{OrderCancelled, OrderLine, OrderPlaced};
use dayone_model::messages::notifications::{EmailJob, EmailTemplate};
use dayone_model::{BaseEntity, Envelope};
use dayone_web::idempotency::{self, Replay};
use dayone_web::paging::Page;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entities::{order, order_item, product};
use crate::money::Money;
use crate::products::announce;

/// One requested line.
#[derive(Debug, Clone)]
pub struct Wanted {
    pub product: Uuid,
    pub quantity: i32,
}

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("unknown product {0}")]
    UnknownProduct(Uuid),
    #[error("not enough stock")]
    InsufficientStock(Vec<(Uuid, i32, i32)>),
    #[error("products in different currencies cannot be ordered together")]
    MixedCurrencies,
    #[error("this Idempotency-Key was used for a different request")]
    KeyReused,
    #[error("the order is already cancelled")]
    NotCancellable,
    #[error(transparent)]
    Database(#[from] DbErr),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineResponse {
    pub product_uuid: Uuid,
    pub name: String,
    pub quantity: i32,
    pub unit_price_cents: i64,
    pub line_total_cents: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderResponse {
    pub uuid: Uuid,
    /// Short, human-friendly reference (not a sequence number).
    pub number: String,
    pub status: order::OrderStatus,
    pub currency: String,
    pub total_cents: i64,
    pub items: Vec<LineResponse>,
    pub created_at: chrono::DateTime<Utc>,
    pub cancelled_at: Option<chrono::DateTime<Utc>>,
}

/// `DAY-3F9A1C2B`: from the public id, so it reveals no order volume.
pub fn number(uuid: Uuid) -> String {
    format!("DAY-{}", &uuid.simple().to_string()[..8].to_uppercase())
}

async fn lines(
    db: &impl ConnectionTrait,
    order: &order::Model,
) -> Result<Vec<order_item::Model>, DbErr> {
    order_item::Entity::active()
        .filter(order_item::Column::OrderId.eq(order.id))
        .order_by_asc(order_item::Column::Id)
        .all(db)
        .await
}

pub async fn response(
    db: &impl ConnectionTrait,
    order: order::Model,
) -> Result<OrderResponse, DbErr> {
    let items = lines(db, &order)
        .await?
        .into_iter()
        .map(|l| LineResponse {
            product_uuid: l.product_uuid,
            line_total_cents: l.unit_price_cents * i64::from(l.quantity),
            name: l.name,
            quantity: l.quantity,
            unit_price_cents: l.unit_price_cents,
        })
        .collect();
    Ok(OrderResponse {
        number: number(order.uuid),
        uuid: order.uuid,
        status: order.status,
        currency: order.currency,
        total_cents: order.total_cents,
        items,
        created_at: order.created_at,
        cancelled_at: order.cancelled_at,
    })
}

fn request_hash(wanted: &[Wanted]) -> String {
    let canonical: Vec<String> = wanted
        .iter()
        .map(|w| format!("{}x{}", w.product, w.quantity))
        .collect();
    idempotency::request_hash(canonical.join(",").as_bytes())
}

/// Places an order for `user`. With an idempotency key, a repeat returns
/// the stored first answer (`Err` only for a key reused differently).
pub async fn place(
    db: &DatabaseConnection,
    outbox: &Outbox,
    user: Uuid,
    wanted: Vec<Wanted>,
    idempotency_key: Option<&str>,
) -> Result<Result<OrderResponse, Replay>, OrderError> {
    // The same product twice in one request is one line.
    let mut merged: BTreeMap<Uuid, i32> = BTreeMap::new();
    for w in &wanted {
        *merged.entry(w.product).or_default() += w.quantity;
    }
    let wanted: Vec<Wanted> = merged
        .into_iter()
        .map(|(product, quantity)| Wanted { product, quantity })
        .collect();

    let txn = db.begin().await?;
    if let Some(key) = idempotency_key
        && let Some(replay) = idempotency::claim(&txn, user, key, &request_hash(&wanted))
            .await?
            .map_err(|_| OrderError::KeyReused)?
    {
        return Ok(Err(replay));
    }
    // Locks in id order: two orders for the same products cannot deadlock.
    let uuids: Vec<Uuid> = wanted.iter().map(|w| w.product).collect();
    let products = product::Entity::active()
        .filter(product::Column::Uuid.is_in(uuids))
        .order_by_asc(product::Column::Id)
        .lock_exclusive()
        .all(&txn)
        .await?;
    let by_uuid: BTreeMap<Uuid, &product::Model> = products.iter().map(|p| (p.uuid, p)).collect();
    let mut short = Vec::new();
    for w in &wanted {
        let p = by_uuid
            .get(&w.product)
            .ok_or(OrderError::UnknownProduct(w.product))?;
        if p.stock < w.quantity {
            short.push((p.uuid, w.quantity, p.stock));
        }
    }
    if !short.is_empty() {
        return Err(OrderError::InsufficientStock(short));
    }
    let currency = products
        .first()
        .map(|p| p.currency.clone())
        .unwrap_or_default();
    if products.iter().any(|p| p.currency != currency) {
        return Err(OrderError::MixedCurrencies);
    }
    let total_cents: i64 = wanted
        .iter()
        .map(|w| by_uuid[&w.product].price_cents * i64::from(w.quantity))
        .sum();

    let placed = order::ActiveModel {
        user_uuid: Set(user),
        status: Set(order::OrderStatus::Placed),
        currency: Set(currency.clone()),
        total_cents: Set(total_cents),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut event_lines = Vec::new();
    for w in &wanted {
        let p = by_uuid[&w.product];
        order_item::ActiveModel {
            order_id: Set(placed.id),
            product_id: Set(p.id),
            product_uuid: Set(p.uuid),
            name: Set(p.name.clone()),
            quantity: Set(w.quantity),
            unit_price_cents: Set(p.price_cents),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let mut reserved: product::ActiveModel = (*p).clone().into();
        reserved.stock = Set(p.stock - w.quantity);
        let reserved = reserved.update(&txn).await?;
        announce(&txn, outbox, &reserved).await?;
        event_lines.push(OrderLine {
            product_uuid: p.uuid,
            name: p.name.clone(),
            quantity: w.quantity,
            unit_price_cents: p.price_cents,
        });
    }

    let body = response(&txn, placed.clone()).await?;
    outbox
        .enqueue(
            &txn,
            &Envelope::new(OrderPlaced {
                order_uuid: placed.uuid,
                number: body.number.clone(),
                user_uuid: user,
                currency: currency.clone(),
                total_cents,
                lines: event_lines,
            }),
        )
        .await?;
    let receipt = json!({
        "number": body.number,
        "total": Money::display(total_cents, &currency),
        "items": body.items.iter().map(|l| json!({
            "name": l.name,
            "quantity": l.quantity,
            "total": Money::display(l.line_total_cents, &currency),
        })).collect::<Vec<_>>(),
    });
    outbox
        .enqueue(
            &txn,
            &Envelope::new(EmailJob::to_user(
                user,
                EmailTemplate::OrderReceipt { order: receipt },
            )),
        )
        .await?;
    if let Some(key) = idempotency_key {
        let stored = serde_json::to_value(&body).unwrap_or(Value::Null);
        idempotency::store(&txn, user, key, StatusCode::CREATED, &stored).await?;
    }
    txn.commit().await?;
    outbox.wake();
    tracing::info!(order = %placed.uuid, user_id = %user, total_cents, "order placed; sending receipt email for order {} to user {user}", body.number);
    Ok(Ok(body))
}

/// The order if `user` may see it (its owner, or an admin).
pub async fn visible(
    db: &DatabaseConnection,
    uuid: Uuid,
    user: Uuid,
    admin: bool,
) -> Result<Option<order::Model>, DbErr> {
    let found = order::Entity::find_by_uuid(db, uuid).await?;
    Ok(found.filter(|o| admin || o.user_uuid == user))
}

/// A page of `user`'s own orders, newest first, and how many there are.
pub async fn mine(
    db: &DatabaseConnection,
    user: Uuid,
    page: Page,
) -> Result<(Vec<OrderResponse>, u64), DbErr> {
    let query = order::Entity::active()
        .filter(order::Column::UserUuid.eq(user))
        .order_by_desc(order::Column::CreatedAt);
    let total = query.clone().count(db).await?;
    let orders = query
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(orders.len());
    for o in orders {
        out.push(response(db, o).await?);
    }
    Ok((out, total))
}

/// Cancels a placed order and releases its stock.
pub async fn cancel(
    db: &DatabaseConnection,
    outbox: &Outbox,
    order: order::Model,
) -> Result<OrderResponse, OrderError> {
    let txn = db.begin().await?;
    let current = order::Entity::active()
        .filter(order::Column::Id.eq(order.id))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("order".into()))?;
    if current.status != order::OrderStatus::Placed {
        return Err(OrderError::NotCancellable);
    }
    for line in lines(&txn, &current).await? {
        let product = product::Entity::with_deleted()
            .filter(product::Column::Id.eq(line.product_id))
            .lock_exclusive()
            .one(&txn)
            .await?;
        if let Some(product) = product {
            let stock = product.stock + line.quantity;
            let deleted = product.deleted_at.is_some();
            let mut released: product::ActiveModel = product.into();
            released.stock = Set(stock);
            let released = released.update(&txn).await?;
            if !deleted {
                announce(&txn, outbox, &released).await?;
            }
        }
    }
    let mut cancelled: order::ActiveModel = current.clone().into();
    cancelled.status = Set(order::OrderStatus::Cancelled);
    cancelled.cancelled_at = Set(Some(Utc::now()));
    let cancelled = cancelled.update(&txn).await?;
    outbox
        .enqueue(
            &txn,
            &Envelope::new(OrderCancelled {
                order_uuid: cancelled.uuid,
                user_uuid: cancelled.user_uuid,
            }),
        )
        .await?;
    let body = response(&txn, cancelled).await?;
    txn.commit().await?;
    outbox.wake();
    tracing::info!(order = %body.uuid, "order cancelled; stock released");
    Ok(body)
}
