//! The in-app inbox: items per user, read and archived by their owner, and
//! live updates to every open stream of theirs on every instance.
//!
//! An item is written with its `inbox.item-added` event in one transaction
//! (the outbox publishes it); each instance receives every such event on
//! its own broadcast queue and hands it to the streams open on it for that
//! user ([`Hub`]). A stream that falls behind is closed, and the client's
//! reconnect with `Last-Event-ID` reads what it missed from the table: the
//! ids are UUIDv7, in time order.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use dayone_broker::{Handler, HandlerError, Incoming, Outcome};
use dayone_model::Envelope;
use dayone_model::messages::notifications::InboxItemAdded;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, FromQueryResult, TransactionTrait};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::channels::SendError;
use crate::entities::notification;
use crate::state::NotifyState;
use crate::statement;
use crate::templates::RenderedPush;

/// Events a stream may hold before it counts as fallen behind.
const STREAM_BUFFER: usize = 256;

/// An inbox item as its owner sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, FromQueryResult)]
pub struct Item {
    /// A UUIDv7: later items have greater ids.
    pub uuid: Uuid,
    pub template: String,
    pub category: String,
    pub title: String,
    pub body: String,
    pub read_at: Option<DateTime<Utc>>,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const ITEM: &str = "uuid, template, category, title, body, read_at, archived_at, created_at";

/// Stores `notification`'s item for `user` (once: a redelivered job finds
/// it) with its event; the item's uuid is the delivery's provider id.
pub async fn store(
    state: &NotifyState,
    notification: &notification::Model,
    user: Uuid,
    rendered: &RenderedPush,
) -> Result<String, SendError> {
    let stored = async {
        let txn = state.db.begin().await?;
        let inserted = txn
            .query_one_raw(statement(
                &format!(
                    "INSERT INTO inbox_items (uuid, user_uuid, notification_id, template, category, title, body) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (notification_id) DO NOTHING RETURNING {ITEM}"
                ),
                vec![
                    Uuid::now_v7().into(),
                    user.into(),
                    notification.id.into(),
                    notification.template.clone().into(),
                    notification.category.clone().into(),
                    rendered.title.clone().into(),
                    rendered.body.clone().into(),
                ],
            ))
            .await?;
        let Some(row) = inserted else {
            let existing = txn
                .query_one_raw(statement(
                    "SELECT uuid FROM inbox_items WHERE notification_id = $1",
                    vec![notification.id.into()],
                ))
                .await?
                .ok_or_else(|| DbErr::RecordNotFound("inbox item".into()))?;
            return existing.try_get::<Uuid>("", "uuid");
        };
        let item = Item::from_query_result(&row, "")?;
        let event = Envelope::new(InboxItemAdded {
            user_uuid: user,
            item: serde_json::to_value(&item).map_err(|e| DbErr::Custom(e.to_string()))?,
        });
        state.outbox.enqueue(&txn, &event).await?;
        txn.commit().await?;
        state.outbox.wake();
        Ok(item.uuid)
    };
    stored
        .await
        .map(|uuid| uuid.to_string())
        .map_err(|e: DbErr| SendError::Transient(e.to_string()))
}

/// Which items a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Filter {
    /// Every item not archived (the default).
    #[default]
    All,
    /// Not read and not archived.
    Unread,
    Archived,
}

impl Filter {
    fn condition(self) -> &'static str {
        match self {
            Self::All => "archived_at IS NULL",
            Self::Unread => "archived_at IS NULL AND read_at IS NULL",
            Self::Archived => "archived_at IS NOT NULL",
        }
    }
}

/// Up to `limit` of `user`'s items older than `before`, newest first.
pub async fn list(
    db: &DatabaseConnection,
    user: Uuid,
    filter: Filter,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Item>, DbErr> {
    let sql = format!(
        "SELECT {ITEM} FROM inbox_items \
         WHERE user_uuid = $1 AND deleted_at IS NULL AND {} AND ($2::uuid IS NULL OR uuid < $2) \
         ORDER BY uuid DESC LIMIT $3",
        filter.condition()
    );
    Item::find_by_statement(statement(
        &sql,
        vec![user.into(), before.into(), (limit as i64).into()],
    ))
    .all(db)
    .await
}

/// `user`'s items after `after` (oldest first, at most `limit`): what a
/// stream resumed with `Last-Event-ID` missed.
pub async fn since(
    db: &DatabaseConnection,
    user: Uuid,
    after: Uuid,
    limit: u64,
) -> Result<Vec<Item>, DbErr> {
    Item::find_by_statement(statement(
        &format!(
            "SELECT {ITEM} FROM inbox_items \
             WHERE user_uuid = $1 AND deleted_at IS NULL AND archived_at IS NULL AND uuid > $2 \
             ORDER BY uuid LIMIT $3"
        ),
        vec![user.into(), after.into(), (limit as i64).into()],
    ))
    .all(db)
    .await
}

/// The most unread items counted exactly: a badge says "999+" past it, and
/// counting 100,000 index entries per request took 140 ms (the inbox
/// bench), counting a thousand takes well under one.
pub const UNREAD_COUNTED: i64 = 999;

/// How many of `user`'s items are unread (archived ones aside), up to
/// [`UNREAD_COUNTED`] + 1: more than [`UNREAD_COUNTED`] means "at least".
pub async fn unread(db: &DatabaseConnection, user: Uuid) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(statement(
            "SELECT count(*) AS n FROM (SELECT 1 FROM inbox_items \
               WHERE user_uuid = $1 AND deleted_at IS NULL AND archived_at IS NULL AND read_at IS NULL \
               LIMIT $2) unread",
            vec![user.into(), (UNREAD_COUNTED + 1).into()],
        ))
        .await?;
    row.map_or(Ok(0), |r| r.try_get("", "n"))
}

/// A change to one item of its owner's.
#[derive(Debug, Clone, Copy)]
pub enum Change {
    Read,
    Unread,
    Archive,
    Unarchive,
}

/// Applies `change` to `user`'s item `uuid`: the item after it, `None` when
/// `user` has no such item.
pub async fn change(
    db: &DatabaseConnection,
    user: Uuid,
    uuid: Uuid,
    change: Change,
) -> Result<Option<Item>, DbErr> {
    let set = match change {
        Change::Read => "read_at = coalesce(read_at, now())",
        Change::Unread => "read_at = NULL",
        Change::Archive => "archived_at = coalesce(archived_at, now())",
        Change::Unarchive => "archived_at = NULL",
    };
    Item::find_by_statement(statement(
        &format!(
            "UPDATE inbox_items SET {set} \
             WHERE uuid = $1 AND user_uuid = $2 AND deleted_at IS NULL RETURNING {ITEM}"
        ),
        vec![uuid.into(), user.into()],
    ))
    .one(db)
    .await
}

/// Marks every unread item of `user`'s read: how many were.
pub async fn read_all(db: &DatabaseConnection, user: Uuid) -> Result<u64, DbErr> {
    Ok(db
        .execute_raw(statement(
            "UPDATE inbox_items SET read_at = now() \
             WHERE user_uuid = $1 AND deleted_at IS NULL AND archived_at IS NULL AND read_at IS NULL",
            vec![user.into()],
        ))
        .await?
        .rows_affected())
}

/// The streams open on this instance, by user.
#[derive(Default)]
pub struct Hub {
    streams: Mutex<HashMap<Uuid, Vec<mpsc::Sender<Item>>>>,
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Vec<mpsc::Sender<Item>>>> {
        // Nothing is left half-done under the lock: a poisoned map is usable.
        self.streams.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new stream of `user`'s items added from now on.
    pub fn subscribe(&self, user: Uuid) -> mpsc::Receiver<Item> {
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        self.lock().entry(user).or_default().push(tx);
        rx
    }

    /// Hands `item` to `user`'s streams. A stream gone, or too far behind
    /// to take it, is dropped: its client reconnects with `Last-Event-ID`.
    pub fn dispatch(&self, user: Uuid, item: &Item) {
        let mut streams = self.lock();
        let Some(senders) = streams.get_mut(&user) else {
            return;
        };
        senders.retain(|tx| tx.try_send(item.clone()).is_ok());
        if senders.is_empty() {
            streams.remove(&user);
        }
    }

    /// How many streams are open (a gauge).
    pub fn open(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }
}

/// This instance's copy of every `inbox.item-added` event.
pub struct LiveUpdates(pub std::sync::Arc<NotifyState>);

impl Handler for LiveUpdates {
    async fn handle(&self, message: Incoming) -> Outcome {
        let added = match message.envelope.decode::<InboxItemAdded>() {
            Ok(envelope) => envelope.payload,
            Err(e) => return Err::<(), _>(HandlerError::Permanent(e.into())).into(),
        };
        match serde_json::from_value::<Item>(added.item) {
            Ok(item) => {
                self.0.inbox.dispatch(added.user_uuid, &item);
                Ok::<(), HandlerError>(()).into()
            }
            Err(e) => Err::<(), _>(HandlerError::Permanent(e.into())).into(),
        }
    }
}

/// The broadcast patterns [`LiveUpdates`] receives.
pub const LIVE_UPDATES: &[&str] = &[<InboxItemAdded as dayone_model::Contract>::TYPE];

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> Item {
        Item {
            uuid: Uuid::now_v7(),
            template: "t".into(),
            category: "transactional".into(),
            title: "Hi".into(),
            body: "There".into(),
            read_at: None,
            archived_at: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn the_hub_reaches_only_the_users_streams_and_drops_the_ones_behind() {
        let hub = Hub::default();
        let (ada, bob) = (Uuid::new_v4(), Uuid::new_v4());
        let mut first = hub.subscribe(ada);
        let mut second = hub.subscribe(ada);
        let mut other = hub.subscribe(bob);
        hub.dispatch(ada, &item());
        assert!(first.try_recv().is_ok() && second.try_recv().is_ok());
        assert!(
            other.try_recv().is_err(),
            "another user's stream gets nothing"
        );

        drop(second);
        for _ in 0..STREAM_BUFFER {
            hub.dispatch(ada, &item());
        }
        assert_eq!(hub.open(), 2, "the closed stream is gone");
        hub.dispatch(ada, &item());
        assert_eq!(hub.open(), 1, "the full stream is dropped");
        assert_eq!(
            first.try_recv().map(|i| i.title).ok().as_deref(),
            Some("Hi")
        );
    }
}
