//! Accounts kept in memory for `GET /v1/auth/me`, the read every client
//! makes most, so it costs no database round trip.
//!
//! An entry is dropped whenever its row changes: a trigger on `users`
//! announces every committed change on the `users_changed` channel, whoever
//! made it, and every auth instance listens. A load that began before such
//! an announcement is not kept, and entries are only served while the
//! listener is connected: after it reconnects everything is dropped, since
//! announcements made meanwhile were lost. The routes that change the
//! profile (name, phone, roles, email verification, deletion) also drop the
//! entry at once, so the same instance's next read sees that change without
//! waiting for the announcement; a password change moves only `updated_at`
//! and is left to it. Entries
//! expire after [`MAX_AGE`] whatever happens, a bound on any staleness the
//! listener could miss (a connection that died silently).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use dayone_model::BaseEntity;
use sea_orm::sqlx::PgPool;
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{DatabaseConnection, DbErr};
use uuid::Uuid;

use crate::entities::user;

/// The channel the `users` trigger announces changes on.
pub const CHANNEL: &str = "users_changed";
/// The longest an entry is served.
pub const MAX_AGE: Duration = Duration::from_secs(60);

/// Each account with when it was read.
type Entries = HashMap<Uuid, (Arc<user::Model>, Instant)>;

pub struct Profiles {
    entries: RwLock<Entries>,
    /// Bumped by every drop; a load that saw another value is not kept.
    generation: AtomicU64,
    /// Whether changes are being heard: entries are served only then.
    listening: AtomicBool,
    /// Most entries (0: no cache); a full cache starts again empty.
    capacity: usize,
}

impl Profiles {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            capacity,
        }
    }

    /// The live account `uuid`, from memory when it is there.
    pub async fn get(
        &self,
        db: &DatabaseConnection,
        uuid: Uuid,
    ) -> Result<Option<Arc<user::Model>>, DbErr> {
        let serving = self.capacity > 0 && self.listening.load(Ordering::Acquire);
        if serving
            && let Some((user, loaded)) = self.read().get(&uuid)
            && loaded.elapsed() < MAX_AGE
        {
            return Ok(Some(user.clone()));
        }
        let generation = self.generation.load(Ordering::Acquire);
        let Some(user) = user::Entity::find_by_uuid(db, uuid).await?.map(Arc::new) else {
            return Ok(None);
        };
        if serving {
            let mut entries = self.write();
            // Under the lock a drop either came before (the generation
            // moved: not kept) or comes after (it removes this entry).
            if self.generation.load(Ordering::Acquire) == generation {
                if entries.len() >= self.capacity {
                    entries.clear();
                }
                entries.insert(uuid, (user.clone(), Instant::now()));
            }
        }
        Ok(Some(user))
    }

    /// Drops `uuid`'s entry (its row changed).
    pub fn forget(&self, uuid: Uuid) {
        let mut entries = self.write();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(&uuid);
    }

    fn forget_all(&self) {
        let mut entries = self.write();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.entries.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.entries.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Listens for changed accounts for as long as the service runs,
    /// reconnecting after a lost connection.
    pub async fn listen(self: Arc<Self>, pool: PgPool) {
        if self.capacity == 0 {
            return;
        }
        loop {
            if let Err(error) = self.hear(&pool).await {
                tracing::warn!(error = %error, "not hearing account changes; profiles come from the database until it is back");
            }
            self.listening.store(false, Ordering::Release);
            self.forget_all();
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn hear(&self, pool: &PgPool) -> Result<(), sea_orm::sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        // Whatever changed before this point is not in memory any more.
        self.forget_all();
        self.listening.store(true, Ordering::Release);
        tracing::info!(
            channel = CHANNEL,
            "hearing account changes; profiles are cached"
        );
        loop {
            match listener.try_recv().await? {
                Some(notification) => match notification.payload().parse() {
                    Ok(uuid) => self.forget(uuid),
                    Err(_) => self.forget_all(),
                },
                // The connection was lost and is back: what was announced in
                // between is unknown.
                None => self.forget_all(),
            }
        }
    }
}
