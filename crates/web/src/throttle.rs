//! Throttling counters in Redis, shared by every replica: a fixed window per
//! key (`login-failures:account:<uuid>`, `otp-verify:<phone>`...). The first
//! hit starts the window; the counter and the window expire together, so a
//! block is always temporary.

use std::time::Duration;

use redis::Script;

use crate::error::{ApiError, ErrorCode};
use crate::redis::Redis;

/// At most `max` events per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u64,
    pub window: Duration,
}

/// A key's count in its current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub count: u64,
    /// Until the window ends (zero when there is no window).
    pub resets_in: Duration,
}

impl Usage {
    pub fn exceeds(&self, limit: Limit) -> bool {
        self.count > limit.max
    }

    pub fn reached(&self, limit: Limit) -> bool {
        self.count >= limit.max
    }

    /// A 429 telling the client when to come back.
    pub fn too_many(&self, message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::RateLimited, message)
            .with_retry_after(self.resets_in.as_secs_f64().ceil() as u64)
    }
}

/// Counts one more event for `key` (atomically starting the window on the
/// first) and returns the count so far.
pub async fn hit(redis: &Redis, key: &str, limit: Limit) -> redis::RedisResult<Usage> {
    let script = Script::new(
        r"local n = redis.call('INCR', KEYS[1])
          if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
          return {n, redis.call('PTTL', KEYS[1])}",
    );
    let (count, ttl_ms): (u64, i64) = script
        .key(redis.key(key))
        .arg(limit.window.as_millis() as u64)
        .invoke_async(&mut redis.connection())
        .await?;
    Ok(Usage {
        count,
        resets_in: Duration::from_millis(ttl_ms.max(0) as u64),
    })
}

/// The count so far, without counting.
pub async fn usage(redis: &Redis, key: &str) -> redis::RedisResult<Usage> {
    let (count, ttl_ms): (Option<u64>, i64) = redis::pipe()
        .get(redis.key(key))
        .pttl(redis.key(key))
        .query_async(&mut redis.connection())
        .await?;
    Ok(Usage {
        count: count.unwrap_or(0),
        resets_in: Duration::from_millis(ttl_ms.max(0) as u64),
    })
}

/// Forgets the key's window (after a successful login, say).
pub async fn reset(redis: &Redis, key: &str) -> redis::RedisResult<()> {
    redis::cmd("DEL")
        .arg(redis.key(key))
        .query_async::<()>(&mut redis.connection())
        .await
}
