//! The catalogue: reading with filters (page-numbered for `/v1`, keyset
//! cursors for `/v2`), and admin changes that announce themselves through
//! the outbox (`product.changed`, `product.deleted`) in the same
//! transaction, which is what keeps search current.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dayone_broker::Outbox;
use dayone_model::messages::catalog::{ProductChanged, ProductDeleted, ProductSnapshot};
use dayone_model::{BaseEntity, Envelope};
use dayone_web::audit::AdminAct;
use dayone_web::paging::Page;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::entities::product;

pub fn snapshot(p: &product::Model) -> ProductSnapshot {
    ProductSnapshot {
        uuid: p.uuid,
        name: p.name.clone(),
        description: p.description.clone(),
        category: p.category.clone(),
        price_cents: p.price_cents,
        currency: p.currency.clone(),
        stock: p.stock,
    }
}

/// Announces the product's current state (within the caller's transaction).
pub async fn announce<C: ConnectionTrait>(
    txn: &C,
    outbox: &Outbox,
    p: &product::Model,
) -> Result<(), DbErr> {
    outbox
        .enqueue(
            txn,
            &Envelope::new(ProductChanged {
                product: snapshot(p),
            }),
        )
        .await
}

/// Filters shared by both API versions.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Filters {
    pub category: Option<String>,
    pub min_price_cents: Option<i64>,
    pub max_price_cents: Option<i64>,
    #[serde(default)]
    pub in_stock: bool,
}

fn filtered(filters: &Filters) -> Select<product::Entity> {
    let mut query = product::Entity::active();
    if let Some(category) = &filters.category {
        query = query.filter(product::Column::Category.eq(category.clone()));
    }
    if let Some(min) = filters.min_price_cents {
        query = query.filter(product::Column::PriceCents.gte(min));
    }
    if let Some(max) = filters.max_price_cents {
        query = query.filter(product::Column::PriceCents.lte(max));
    }
    if filters.in_stock {
        query = query.filter(product::Column::Stock.gt(0));
    }
    query
}

/// Page `page` (from 1) of `per_page`, newest first, and the total.
pub async fn page(
    db: &DatabaseConnection,
    filters: &Filters,
    page: Page,
) -> Result<(Vec<product::Model>, u64), DbErr> {
    let query = filtered(filters)
        .order_by_desc(product::Column::CreatedAt)
        .order_by_desc(product::Column::Uuid);
    let total = query.clone().count(db).await?;
    let items = query
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?;
    Ok((items, total))
}

/// Where a `/v2` listing continues: after this (created_at, uuid). Opaque to
/// clients, and built from public values only.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Cursor {
    pub t: chrono::DateTime<chrono::Utc>,
    pub u: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(s: &str) -> Option<Self> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).ok()?).ok()
    }
}

/// Up to `limit` products after `cursor`, newest first, and the cursor of
/// the next page when there is one. Keyset pagination: stable while
/// products are added, and as fast on page 1000 as on page 1.
pub async fn after(
    db: &DatabaseConnection,
    filters: &Filters,
    cursor: Option<&Cursor>,
    limit: u64,
) -> Result<(Vec<product::Model>, Option<Cursor>), DbErr> {
    let mut query = filtered(filters);
    if let Some(c) = cursor {
        query = query.filter(
            Condition::any()
                .add(product::Column::CreatedAt.lt(c.t))
                .add(
                    Condition::all()
                        .add(product::Column::CreatedAt.eq(c.t))
                        .add(product::Column::Uuid.lt(c.u)),
                ),
        );
    }
    let mut items = query
        .order_by_desc(product::Column::CreatedAt)
        .order_by_desc(product::Column::Uuid)
        .limit(limit + 1)
        .all(db)
        .await?;
    let next = if items.len() as u64 > limit {
        items.truncate(limit as usize);
        items.last().map(|p| Cursor {
            t: p.created_at,
            u: p.uuid,
        })
    } else {
        None
    };
    Ok((items, next))
}

/// A new product (validated by the caller).
pub struct NewProduct {
    pub name: String,
    pub description: String,
    pub category: String,
    pub price_cents: i64,
    pub currency: String,
    pub stock: i32,
}

/// Creates a product (`act`'s target: the new product).
pub async fn create(
    db: &DatabaseConnection,
    outbox: &Outbox,
    new: NewProduct,
    act: &AdminAct,
) -> Result<product::Model, DbErr> {
    let txn = db.begin().await?;
    let created = product::ActiveModel {
        name: Set(new.name),
        description: Set(new.description),
        category: Set(new.category),
        price_cents: Set(new.price_cents),
        currency: Set(new.currency),
        stock: Set(new.stock),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    announce(&txn, outbox, &created).await?;
    act.on(created.uuid).record(&txn, outbox).await?;
    txn.commit().await?;
    outbox.wake();
    tracing::info!(product = %created.uuid, "product created");
    Ok(created)
}

/// Fields an admin changes; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct ProductChange {
    pub name: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub price_cents: Option<i64>,
    pub currency: Option<String>,
    pub stock: Option<i32>,
}

pub async fn update(
    db: &DatabaseConnection,
    outbox: &Outbox,
    uuid: Uuid,
    change: ProductChange,
    act: &AdminAct,
) -> Result<Option<product::Model>, DbErr> {
    let txn = db.begin().await?;
    let Some(current) = product::Entity::active()
        .filter(product::Column::Uuid.eq(uuid))
        .lock_exclusive()
        .one(&txn)
        .await?
    else {
        return Ok(None);
    };
    let mut model: product::ActiveModel = current.into();
    if let Some(v) = change.name {
        model.name = Set(v);
    }
    if let Some(v) = change.description {
        model.description = Set(v);
    }
    if let Some(v) = change.category {
        model.category = Set(v);
    }
    if let Some(v) = change.price_cents {
        model.price_cents = Set(v);
    }
    if let Some(v) = change.currency {
        model.currency = Set(v);
    }
    if let Some(v) = change.stock {
        model.stock = Set(v);
    }
    let updated = model.update(&txn).await?;
    announce(&txn, outbox, &updated).await?;
    act.record(&txn, outbox).await?;
    txn.commit().await?;
    outbox.wake();
    tracing::info!(product = %updated.uuid, "product updated");
    Ok(Some(updated))
}

/// Soft-deletes; `false` when there was no such live product.
pub async fn delete(
    db: &DatabaseConnection,
    outbox: &Outbox,
    uuid: Uuid,
    act: &AdminAct,
) -> Result<bool, DbErr> {
    let txn = db.begin().await?;
    if !product::Entity::soft_delete(&txn, uuid).await? {
        return Ok(false);
    }
    outbox
        .enqueue(&txn, &Envelope::new(ProductDeleted { product_uuid: uuid }))
        .await?;
    act.record(&txn, outbox).await?;
    txn.commit().await?;
    outbox.wake();
    tracing::info!(product = %uuid, "product deleted");
    Ok(true)
}
