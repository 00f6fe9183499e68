use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use dayone_broker::{Handler, Incoming, Outcome};
use dayone_model::messages::users::SessionRevoked;
use redis::AsyncCommands;
use uuid::Uuid;

use crate::redis::Redis;

/// The Redis key recording that a session is revoked; its value is the unix
/// time until which its tokens could still be presented, and it expires then.
pub fn revoked_session_key(redis: &Redis, session: Uuid) -> String {
    redis.key(&format!("revoked-session:{session}"))
}

/// Revoked sessions, in memory: the per-request check is a map lookup.
#[derive(Clone, Default)]
pub struct RevocationList {
    revoked: Arc<RwLock<HashMap<Uuid, i64>>>,
}

impl RevocationList {
    pub fn is_revoked(&self, session: &Uuid) -> bool {
        self.revoked
            .read()
            .map(|r| r.contains_key(session))
            .unwrap_or(true) // a poisoned lock fails closed
    }

    /// Records a revocation, and forgets the ones whose tokens have expired.
    pub fn revoke(&self, session: Uuid, until_unix: i64) {
        let now = chrono::Utc::now().timestamp();
        if let Ok(mut revoked) = self.revoked.write() {
            revoked.retain(|_, until| *until > now);
            if until_unix > now {
                revoked.insert(session, until_unix);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.revoked.read().map(|r| r.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Loads every revocation recorded in Redis (at start and after a
    /// reconnect, when broadcasts may have been missed).
    pub async fn load(&self, redis: &Redis) -> redis::RedisResult<usize> {
        let mut conn = redis.connection();
        let pattern = redis.key("revoked-session:*");
        let prefix_len = redis.key("revoked-session:").len();
        let keys: Vec<String> = {
            let mut iter = conn.scan_match::<_, String>(&pattern).await?;
            let mut keys = Vec::new();
            while let Some(key) = futures_util::StreamExt::next(&mut iter).await {
                keys.push(key?);
            }
            keys
        };
        let mut loaded = 0;
        for chunk in keys.chunks(500) {
            let values: Vec<Option<i64>> = conn.mget(chunk).await?;
            for (key, until) in chunk.iter().zip(values) {
                if let (Some(until), Ok(session)) = (until, key[prefix_len..].parse::<Uuid>()) {
                    self.revoke(session, until);
                    loaded += 1;
                }
            }
        }
        Ok(loaded)
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
            Ok(n) => tracing::info!(revoked_sessions = n, "revocation list loaded from Redis"),
            Err(error) => tracing::warn!(error = %error, "could not load revocations from Redis"),
        }
    }
}
