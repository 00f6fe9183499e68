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

/// A declared rate: at most `max` per `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct Rate {
    pub max: u64,
    pub window_secs: u64,
}

impl From<Rate> for Limit {
    fn from(rate: Rate) -> Self {
        Limit {
            max: rate.max,
            window: Duration::from_secs(rate.window_secs.max(1)),
        }
    }
}

/// Throttle policies by name, from the `throttles:` settings, in the manner
/// of DRF's scoped throttles: a route names its policy and the subject it
/// counts (the client's address, the account, a phone number), and the
/// numbers live in settings, not in code. Counters are in Redis, so every
/// replica shares them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Throttles(std::collections::BTreeMap<String, Rate>);

impl Throttles {
    /// Fails (at start-up) when a policy the service uses is not declared,
    /// so a typo in settings cannot turn a limit off.
    pub fn require(&self, names: &[&str]) -> anyhow::Result<()> {
        let missing: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !self.0.contains_key(*n))
            .collect();
        anyhow::ensure!(
            missing.is_empty(),
            "throttles.{} must be set (max and window_secs)",
            missing.join(", throttles.")
        );
        Ok(())
    }

    /// The policy's limit; an undeclared one (which [`Self::require`] keeps
    /// from happening) allows nothing.
    pub fn limit(&self, name: &str) -> Limit {
        self.0.get(name).copied().map_or(
            Limit {
                max: 0,
                window: Duration::from_secs(60),
            },
            Limit::from,
        )
    }

    /// The Redis key of `subject`'s count under policy `name`.
    fn key(name: &str, subject: &str) -> String {
        format!("throttle:{name}:{subject}")
    }

    /// A 429 (saying `what`) when `subject` has used up policy `name`,
    /// without counting this request.
    pub async fn spent(
        &self,
        redis: &Redis,
        name: &str,
        subject: &str,
        what: &str,
    ) -> Result<(), ApiError> {
        let limit = self.limit(name);
        let used = usage(redis, &Self::key(name, subject))
            .await
            .map_err(unchecked)?;
        if used.reached(limit) {
            return Err(used.too_many(format!("{what}; try again later")));
        }
        Ok(())
    }

    /// Counts one request of `subject` under policy `name`: `Ok` while
    /// within the limit, a 429 with `Retry-After` (saying `what`) beyond it.
    /// A Redis failure is a 503: a limit that cannot be checked is not
    /// waived.
    pub async fn check(
        &self,
        redis: &Redis,
        name: &str,
        subject: &str,
        what: &str,
    ) -> Result<Usage, ApiError> {
        let limit = self.limit(name);
        let usage = hit(redis, &Self::key(name, subject), limit)
            .await
            .map_err(unchecked)?;
        if usage.exceeds(limit) {
            metrics::counter!("throttled_requests_total", "policy" => name.to_owned()).increment(1);
            return Err(usage.too_many(format!("{what}; try again later")));
        }
        Ok(usage)
    }
}

/// A limit that cannot be checked (Redis down) is not waived: a 503.
fn unchecked(error: redis::RedisError) -> ApiError {
    ApiError::unavailable("Redis", error).with_retry_after(5)
}
