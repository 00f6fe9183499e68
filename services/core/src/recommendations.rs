//! `recommendations.weekly`, a scheduled task every Monday morning: each
//! buyer gets a promotional email with up to five in-stock products from the
//! categories they bought in and have not bought yet, best sellers of the
//! last 30 days first. The notification service drops it for users who
//! opted out of promotional email and holds it through their quiet hours.
//!
//! Buyers are walked in pages by uuid; each email is queued through the
//! outbox with a claim on (run, buyer), so a redelivered task request queues
//! nothing twice while a new run (the next week, or one triggered by hand)
//! sends again.

use std::collections::BTreeMap;

use dayone_broker::Outbox;
use dayone_broker::idempotency::claim;
use dayone_model::Envelope;
use dayone_model::messages::notifications::{EmailJob, EmailTemplate};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::money::Money;

/// Products per email.
const PICKS: i64 = 5;
/// Buyers per query.
const PAGE: i64 = 500;

/// A page of buyers after `$1` (at most `$2`), each with its picks (none:
/// one row with NULL product columns).
const PICKS_SQL: &str = "
WITH buyers AS (
    SELECT DISTINCT user_uuid FROM orders
    WHERE status = 'placed' AND deleted_at IS NULL AND user_uuid > $1
    ORDER BY user_uuid LIMIT $2
),
bought AS (
    SELECT DISTINCT o.user_uuid, oi.product_id, p.category
    FROM orders o
    JOIN order_items oi ON oi.order_id = o.id
    JOIN products p ON p.id = oi.product_id
    WHERE o.user_uuid IN (SELECT user_uuid FROM buyers)
      AND o.status = 'placed' AND o.deleted_at IS NULL
),
sold AS (
    SELECT oi.product_id, sum(oi.quantity) AS units
    FROM order_items oi JOIN orders o ON o.id = oi.order_id
    WHERE o.status = 'placed' AND o.created_at > now() - interval '30 days'
    GROUP BY oi.product_id
),
picks AS (
    SELECT c.user_uuid, p.uuid, p.name, p.price_cents, p.currency,
           row_number() OVER (PARTITION BY c.user_uuid
                              ORDER BY coalesce(s.units, 0) DESC, p.created_at DESC, p.id) AS rank
    FROM (SELECT DISTINCT user_uuid, category FROM bought) c
    JOIN products p ON p.category = c.category AND p.deleted_at IS NULL AND p.stock > 0
    LEFT JOIN sold s ON s.product_id = p.id
    WHERE NOT EXISTS (SELECT 1 FROM bought b WHERE b.user_uuid = c.user_uuid AND b.product_id = p.id)
)
SELECT b.user_uuid, k.uuid AS product_uuid, k.name, k.price_cents, k.currency
FROM buyers b LEFT JOIN picks k ON k.user_uuid = b.user_uuid AND k.rank <= $3
ORDER BY b.user_uuid, k.rank";

/// Queues this week's recommendation emails for run `run`.
pub async fn weekly(db: &DatabaseConnection, outbox: &Outbox, run: Uuid) -> anyhow::Result<Value> {
    let (mut buyers, mut queued, mut already, mut nothing) = (0u64, 0u64, 0u64, 0u64);
    let mut after = Uuid::nil();
    loop {
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                PICKS_SQL,
                [after.into(), PAGE.into(), PICKS.into()],
            ))
            .await?;
        let mut page: BTreeMap<Uuid, Vec<Value>> = BTreeMap::new();
        for row in rows {
            let user: Uuid = row.try_get("", "user_uuid")?;
            let picks = page.entry(user).or_default();
            if let Some(uuid) = row.try_get::<Option<Uuid>>("", "product_uuid")? {
                let cents: i64 = row.try_get("", "price_cents")?;
                let currency: String = row.try_get("", "currency")?;
                picks.push(json!({
                    "uuid": uuid,
                    "name": row.try_get::<String>("", "name")?,
                    "price": Money::display(cents, &currency),
                }));
            }
        }
        let Some(last) = page.keys().next_back().copied() else {
            break;
        };
        for (user, picks) in page {
            buyers += 1;
            if picks.is_empty() {
                nothing += 1;
                continue;
            }
            let txn = db.begin().await?;
            if !claim(&txn, &format!("recommendations.weekly:{user}"), run).await? {
                already += 1;
                continue;
            }
            outbox
                .enqueue(
                    &txn,
                    &Envelope::new(EmailJob::to_user(
                        user,
                        EmailTemplate::WeeklyRecommendations {
                            products: Value::Array(picks),
                        },
                    )),
                )
                .await?;
            txn.commit().await?;
            queued += 1;
        }
        outbox.wake();
        after = last;
    }
    tracing::info!(%run, buyers, queued, already, nothing, "weekly recommendations queued");
    Ok(json!({
        "buyers": buyers,
        "emails_queued": queued,
        "already_queued": already,
        "nothing_to_recommend": nothing,
    }))
}
