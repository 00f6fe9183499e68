//! Revoked sessions: an in-memory set that every request checks, kept
//! current by the `session.revoked` broadcast, and a record in Redis for
//! instances that start later or missed broadcasts while disconnected.
//!
//! In memory, a map answers "is this session revoked" and a queue ordered
//! by expiry lets each revocation leave when its tokens could no longer be
//! presented: an insert pops what has expired (O(log n) each, no scan).
//!
//! In Redis, one sorted set holds `session:until` members scored by the
//! time of the revocation (ms). The first load reads the last
//! [`RETENTION`]'s revocations in pages; a reload after a reconnect reads
//! only what was recorded since the last load (less a margin for clock
//! skew), so a broker blip does not make every instance reload everything.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use dayone_broker::{Handler, Incoming, Outcome};
use dayone_model::messages::users::SessionRevoked;
use redis::AsyncCommands;
use uuid::Uuid;

use crate::redis::Redis;

/// How long Redis keeps a revocation: longer than any access token lives.
pub const RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// Revocations read per Redis round trip while loading.
const PAGE: isize = 50_000;
/// A reload starts this long before the newest revocation already loaded
/// (for writers whose clocks run a little behind).
const SKEW_MARGIN_MS: i64 = 5_000;
/// Inserts per write-lock while loading: requests wait at most that long.
const LOCK_BATCH: usize = 2_000;

fn set_key(redis: &Redis) -> String {
    redis.key("revocations")
}

/// Records revocations in Redis (`(session, until_unix)` pairs) and drops
/// the ones older than [`RETENTION`], in one round trip.
pub async fn record_revocations(redis: &Redis, revoked: &[(Uuid, i64)]) -> redis::RedisResult<()> {
    if revoked.is_empty() {
        return Ok(());
    }
    let now_ms = chrono::Utc::now().timestamp_millis();
    let key = set_key(redis);
    let mut pipe = redis::pipe();
    for (session, until) in revoked {
        pipe.zadd(&key, format!("{session}:{until}"), now_ms)
            .ignore();
    }
    let oldest = now_ms - RETENTION.as_millis() as i64;
    pipe.zrembyscore(&key, "-inf", oldest).ignore();
    pipe.query_async::<()>(&mut redis.connection()).await
}

/// Revoked sessions, in memory: the per-request check is a map lookup.
#[derive(Clone, Default)]
pub struct RevocationList {
    inner: Arc<RwLock<Inner>>,
}

#[derive(Default)]
struct Inner {
    until: HashMap<Uuid, i64>,
    /// Every (until, session) inserted, soonest first.
    expiry: BinaryHeap<Reverse<(i64, Uuid)>>,
    /// When the last load from Redis started (ms): everything recorded
    /// before then (less the skew margin) is in the list.
    loaded_through_ms: Option<i64>,
}

impl Inner {
    fn insert(&mut self, session: Uuid, until: i64, now: i64) {
        if until <= now {
            return;
        }
        let known = self.until.entry(session).or_insert(i64::MIN);
        if *known >= until {
            return;
        }
        *known = until;
        self.expiry.push(Reverse((until, session)));
    }

    fn expire(&mut self, now: i64) {
        while let Some(Reverse((until, session))) = self.expiry.peek().copied() {
            if until > now {
                break;
            }
            self.expiry.pop();
            if self.until.get(&session).is_some_and(|u| *u <= now) {
                self.until.remove(&session);
            }
        }
    }
}

impl RevocationList {
    pub fn is_revoked(&self, session: &Uuid) -> bool {
        self.inner
            .read()
            .map(|r| r.until.contains_key(session))
            .unwrap_or(true) // a poisoned lock fails closed
    }

    /// Records a revocation, and forgets the ones whose tokens have expired.
    pub fn revoke(&self, session: Uuid, until_unix: i64) {
        self.revoke_many(std::iter::once((session, until_unix)));
    }

    /// Records many revocations under one lock.
    pub fn revoke_many(&self, revoked: impl IntoIterator<Item = (Uuid, i64)>) {
        let now = chrono::Utc::now().timestamp();
        if let Ok(mut inner) = self.inner.write() {
            inner.expire(now);
            for (session, until) in revoked {
                inner.insert(session, until, now);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.inner.read().map(|r| r.until.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Loads the revocations recorded in Redis: all of them the first time,
    /// then only those recorded since the last load. Returns how many were
    /// read. Requests keep being answered meanwhile: the first load is built
    /// beside the list (sized once up front) and swapped in under the lock
    /// at the end; a reload takes the lock for [`LOCK_BATCH`] inserts at a
    /// time.
    ///
    /// Pages go by rank, each starting just after the last member read (its
    /// rank asked again), so entries the writers' cleanup removes meanwhile
    /// do not shift a page. A reload starts from when the previous load
    /// started, less a margin for writers whose clocks run behind.
    pub async fn load(&self, redis: &Redis) -> redis::RedisResult<usize> {
        let now_ms = chrono::Utc::now().timestamp_millis();
        let loaded_through = self.inner.read().ok().and_then(|i| i.loaded_through_ms);
        let since = loaded_through
            .map(|t| t - SKEW_MARGIN_MS)
            .unwrap_or(now_ms - RETENTION.as_millis() as i64);
        let key = set_key(redis);
        let mut conn = redis.connection();
        let (mut start, total): (isize, isize) = redis::pipe()
            .zcount(&key, "-inf", format!("({since}"))
            .zcard(&key)
            .query_async(&mut conn)
            .await?;
        let more = (total - start).max(0) as usize;
        // The first load is built beside the list and swapped in at the end:
        // inserting a million entries under the lock, batch after batch,
        // kept readers out for a whole page at a time (the writer took the
        // lock back before a woken reader could). A reload is small and
        // goes in place.
        let mut built = (loaded_through.is_none() && more > LOCK_BATCH).then(|| {
            let mut inner = Inner::default();
            inner.until.reserve(more);
            inner.expiry.reserve(more);
            inner
        });
        let now = chrono::Utc::now().timestamp();
        let mut read = 0;
        loop {
            // Members only: their scores (when revoked) are not needed here,
            // and half the reply.
            let page: Vec<String> = conn.zrange(&key, start, start + PAGE - 1).await?;
            let Some(last) = page.last() else { break };
            let next: Option<usize> = conn.zrank(&key, last).await?;
            read += page.len();
            let parsed: Vec<(Uuid, i64)> = page
                .iter()
                .filter_map(|member| {
                    let (session, until) = member.split_once(':')?;
                    Some((session.parse().ok()?, until.parse().ok()?))
                })
                .collect();
            match built.as_mut() {
                Some(built) => {
                    for (session, until) in parsed {
                        built.insert(session, until, now);
                    }
                }
                None => {
                    for batch in parsed.chunks(LOCK_BATCH) {
                        self.revoke_many(batch.iter().copied());
                    }
                }
            }
            if page.len() < PAGE as usize {
                break;
            }
            // Gone meanwhile (rewritten): carry on by position.
            start = next.map_or(start + PAGE, |rank| rank as isize + 1);
        }
        if let Ok(mut inner) = self.inner.write() {
            if let Some(mut built) = built {
                // Broadcasts that arrived meanwhile join what was loaded.
                let now = chrono::Utc::now().timestamp();
                for (session, until) in std::mem::take(&mut inner.until) {
                    built.insert(session, until, now);
                }
                *inner = built;
            }
            inner.loaded_through_ms = Some(now_ms);
        }
        Ok(read)
    }
}

/// Keeps a [`RevocationList`] current from the `session.revoked` broadcast.
pub struct RevocationSubscriber {
    pub list: RevocationList,
    pub redis: Redis,
}

impl Handler for RevocationSubscriber {
    async fn handle(&self, message: Incoming) -> Outcome {
        match message.envelope.decode::<SessionRevoked>() {
            Ok(event) => {
                self.list
                    .revoke(event.payload.session_uuid, event.payload.until.timestamp());
                Outcome::Done
            }
            Err(error) => Outcome::DeadLetter(error.to_string()),
        }
    }

    async fn on_subscribed(&self) {
        match self.list.load(&self.redis).await {
            Ok(n) => tracing::info!(
                read = n,
                revoked_sessions = self.list.len(),
                "revocations loaded from Redis"
            ),
            Err(error) => tracing::warn!(error = %error, "could not load revocations from Redis"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_revocations_leave_and_the_latest_until_wins() {
        let list = RevocationList::default();
        let now = chrono::Utc::now().timestamp();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        list.revoke(a, now + 3600);
        list.revoke(b, now - 1); // already expired: never stored
        assert!(list.is_revoked(&a));
        assert!(!list.is_revoked(&b));
        list.revoke(a, now + 7200);
        list.revoke(a, now + 10); // an earlier expiry does not shorten it
        if let Ok(mut inner) = list.inner.write() {
            inner.expire(now + 3601);
        }
        assert!(list.is_revoked(&a), "the later expiry still holds");
        if let Ok(mut inner) = list.inner.write() {
            inner.expire(now + 7201);
        }
        assert!(!list.is_revoked(&a));
        assert!(list.is_empty());
    }
}
