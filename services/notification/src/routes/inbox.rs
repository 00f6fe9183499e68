//! The caller's in-app inbox: a page of items, the unread count, read and
//! archive marks, and a Server-Sent Events stream of new items.

use std::collections::VecDeque;
use std::time::Duration;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use dayone_web::{ApiError, AuthenticatedUser, ErrorCode};
use futures_util::stream;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::inbox::{self, Change, Filter, Item};
use crate::state::NotifyState;

/// Items a stream resumed with `Last-Event-ID` replays at most; a client
/// further behind reads the rest with `GET /v1/inbox`.
const RESUME_LIMIT: u64 = 1000;
/// A comment this often keeps proxies from closing a quiet stream.
const KEEPALIVE: Duration = Duration::from_secs(15);

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// `all` (not archived, the default), `unread` or `archived`.
    #[param(inline)]
    filter: Option<Filter>,
    /// The `next_cursor` of the page before.
    cursor: Option<Uuid>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u64>,
}

/// A page of items, newest first.
#[derive(Serialize, ToSchema)]
pub struct Page {
    pub items: Vec<Item>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<Uuid>,
}

/// The caller's items, newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/v1/inbox",
    operation_id = "list_inbox",
    tag = "inbox",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "A page of items", body = Page),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "`limit` out of range", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn list(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::validation(&[(
            "limit",
            "must be 1 to 100".into(),
        )]));
    }
    let filter = query.filter.unwrap_or_default();
    let mut items = inbox::list(&state.db, user.user_uuid, filter, query.cursor, limit + 1).await?;
    let next_cursor = if items.len() as u64 > limit {
        items.truncate(limit as usize);
        items.last().map(|i| i.uuid)
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
}

/// How many of the caller's items are unread, counted up to 999: past that
/// `more` is true (a badge shows "999+").
#[utoipa::path(
    get,
    path = "/v1/inbox/unread-count",
    tag = "inbox",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`{\"unread\": n, \"more\": bool}`: `more` when there are over 999"),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn unread_count(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    let counted = inbox::unread(&state.db, user.user_uuid).await?;
    Ok(HttpResponse::Ok().json(json!({
        "unread": counted.min(inbox::UNREAD_COUNTED),
        "more": counted > inbox::UNREAD_COUNTED,
    })))
}

/// Marks every unread item read.
#[utoipa::path(
    post,
    path = "/v1/inbox/read-all",
    tag = "inbox",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`{\"marked\": n}`: how many were unread"),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn read_all(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    let marked = inbox::read_all(&state.db, user.user_uuid).await?;
    Ok(HttpResponse::Ok().json(json!({ "marked": marked })))
}

async fn apply(
    state: &NotifyState,
    user: &AuthenticatedUser,
    uuid: Uuid,
    change: Change,
) -> Result<HttpResponse, ApiError> {
    match inbox::change(&state.db, user.user_uuid, uuid, change).await? {
        Some(item) => Ok(HttpResponse::Ok().json(item)),
        // Someone else's item is as unknown as a made-up one.
        None => Err(ApiError::not_found("inbox item")),
    }
}

macro_rules! item_change {
    ($name:ident, $path:literal, $change:expr, $what:literal) => {
        #[doc = $what]
        #[utoipa::path(
            post,
            path = $path,
            tag = "inbox",
            security(("bearer" = [])),
            params(("uuid" = Uuid, Path, description = "The item")),
            responses(
                (status = 200, description = "The item after the change", body = Item),
                (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
                (status = 404, description = "The caller has no such item", body = dayone_web::error::ErrorDoc),
            )
        )]
        pub async fn $name(
            state: web::Data<NotifyState>,
            user: AuthenticatedUser,
            uuid: web::Path<Uuid>,
        ) -> Result<HttpResponse, ApiError> {
            apply(&state, &user, uuid.into_inner(), $change).await
        }
    };
}

item_change!(
    read,
    "/v1/inbox/{uuid}/read",
    Change::Read,
    "Marks an item read."
);
item_change!(
    unread,
    "/v1/inbox/{uuid}/unread",
    Change::Unread,
    "Marks an item unread."
);
item_change!(
    archive,
    "/v1/inbox/{uuid}/archive",
    Change::Archive,
    "Archives an item: it leaves the list and the unread count."
);
item_change!(
    unarchive,
    "/v1/inbox/{uuid}/unarchive",
    Change::Unarchive,
    "Brings an archived item back."
);

/// One Server-Sent Event.
fn event(item: &Item) -> Bytes {
    let data = serde_json::to_string(item).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!("id: {}\nevent: item\ndata: {data}\n\n", item.uuid))
}

/// What the stream has still to write.
struct Stream {
    backlog: VecDeque<Item>,
    live: mpsc::Receiver<Item>,
    /// The last id written: live items at or before it were in the backlog.
    last: Option<Uuid>,
    stop: CancellationToken,
    opened: bool,
}

impl Stream {
    async fn next(mut self) -> Option<(Result<Bytes, actix_web::Error>, Self)> {
        if !self.opened {
            self.opened = true;
            // The first bytes tell the client the stream is subscribed.
            return Some((Ok(Bytes::from_static(b"retry: 3000\n: open\n\n")), self));
        }
        loop {
            if let Some(item) = self.backlog.pop_front() {
                self.last = Some(item.uuid);
                return Some((Ok(event(&item)), self));
            }
            tokio::select! {
                _ = self.stop.cancelled() => return None,
                live = self.live.recv() => match live {
                    // Dropped by the hub: too far behind. The client
                    // reconnects with Last-Event-ID.
                    None => return None,
                    Some(item) if self.last.is_some_and(|last| item.uuid <= last) => continue,
                    Some(item) => {
                        self.last = Some(item.uuid);
                        return Some((Ok(event(&item)), self));
                    }
                },
                _ = tokio::time::sleep(KEEPALIVE) => {
                    return Some((Ok(Bytes::from_static(b": keepalive\n\n")), self));
                }
            }
        }
    }
}

/// New items as they arrive, as Server-Sent Events (`event: item`, the id
/// is the item's). Reconnecting with `Last-Event-ID` first replays what
/// was missed (up to 1,000 items). Works through the gateway, which does
/// not buffer it, and with several instances.
#[utoipa::path(
    get,
    path = "/v1/inbox/stream",
    tag = "inbox",
    security(("bearer" = [])),
    params(("Last-Event-ID" = Option<Uuid>, Header, description = "The id of the last event received")),
    responses(
        (status = 200, description = "`text/event-stream`: `event: item`, `id` the item's uuid, `data` the item", content_type = "text/event-stream"),
        (status = 400, description = "`Last-Event-ID` is not an event id of ours", body = dayone_web::error::ErrorDoc),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn stream(
    req: HttpRequest,
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    let last = match req.headers().get("last-event-id") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<Uuid>().ok())
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::BadRequest,
                        "Last-Event-ID is not an event id of this stream",
                    )
                })?,
        ),
    };
    // Subscribed before the backlog is read, so nothing falls between.
    let live = state.inbox.subscribe(user.user_uuid);
    let backlog = match last {
        Some(last) => inbox::since(&state.db, user.user_uuid, last, RESUME_LIMIT).await?,
        None => Vec::new(),
    };
    let body = Stream {
        backlog: backlog.into(),
        live,
        last,
        stop: state.broker.stopping(),
        opened: false,
    };
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/event-stream"))
        .insert_header((CACHE_CONTROL, "no-store"))
        // nginx passes it through unbuffered (its documented switch).
        .insert_header(("x-accel-buffering", "no"))
        .streaming(stream::unfold(body, Stream::next)))
}
