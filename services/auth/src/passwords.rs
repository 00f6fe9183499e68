//! bcrypt, off the async executor (a cost-12 hash takes ~200 ms of CPU).
//!
//! bcrypt reads only the first 72 bytes of its input, so a password is
//! hashed as the hex SHA-256 of its UTF-8 bytes (64 bytes: every byte of the
//! password counts), and the stored hash says so with a `bcrypt_sha256$`
//! prefix, as Django's `BCryptSHA256PasswordHasher` does. We keep bcrypt
//! rather than move to argon2id: the hashing pool, its overload answer and
//! the benchmarks are tuned to it, and existing hashes need no migration.
//! Hashes made before the prefix (plain bcrypt) still verify, as bcrypt
//! always did, and are re-made with the prefix at the next login.
//!
//! Requests hash through a [`Hasher`]: a pool as wide as the cores, served
//! in arrival order. Without it every concurrent login ran at once, and with
//! 16 clients each answer waited for the whole batch. A request that would
//! wait longer than the configured bound to start is refused at once with
//! a 503 and `Retry-After`, so the answered logins stay fast under overload.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::Semaphore;

/// Hashing was refused: the queue is longer than the bound allows.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("too many passwords are being checked; retry in {retry_after_secs} s")]
pub struct Overloaded {
    pub retry_after_secs: u64,
}

/// Bounded, in-order bcrypt for requests.
pub struct Hasher {
    workers: usize,
    permits: Semaphore,
    /// Requests waiting for a worker.
    waiting: AtomicUsize,
    /// The recent cost of one hash (ns, moving average).
    hash_ns: AtomicU64,
    max_wait: Duration,
}

impl Hasher {
    /// `workers` hashes at once (0: one per core); a request that would
    /// wait longer than `max_wait` for its turn is refused.
    pub fn new(workers: usize, max_wait: Duration) -> Self {
        let workers = if workers == 0 {
            std::thread::available_parallelism().map_or(2, usize::from)
        } else {
            workers
        };
        Self {
            workers,
            permits: Semaphore::new(workers),
            waiting: AtomicUsize::new(0),
            hash_ns: AtomicU64::new(0),
            max_wait,
        }
    }

    /// Hashes `password` with `cost`, in turn.
    pub async fn hash(&self, password: String, cost: u32) -> Result<String, HashError> {
        self.run(move || make(&password, cost)).await
    }

    /// Checks `password` against `hash`, in turn. A malformed hash counts
    /// as a mismatch.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, HashError> {
        self.run(move || Ok(check(&password, &hash))).await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, HashError> {
        // The expected wait: the rounds of work queued ahead of this one.
        let ahead =
            self.waiting.load(Ordering::Relaxed) + self.workers - self.permits.available_permits();
        let rounds = (ahead / self.workers) as u32;
        let per_hash = Duration::from_nanos(self.hash_ns.load(Ordering::Relaxed));
        let expected = per_hash * rounds;
        if rounds > 0 && expected > self.max_wait {
            metrics::counter!("auth_password_checks_refused_total").increment(1);
            return Err(HashError::Overloaded(Overloaded {
                retry_after_secs: expected.as_secs().max(1),
            }));
        }
        // Counted as waiting until it gets a worker, or until the request
        // is dropped (a client that went away): never left counted.
        let in_line = InLine::join(&self.waiting);
        let permit = self.permits.acquire().await;
        drop(in_line);
        let _permit =
            permit.map_err(|_| HashError::Failed(anyhow::anyhow!("the hasher is closed")))?;
        let started = Instant::now();
        let result = tokio::task::spawn_blocking(work)
            .await
            .context("bcrypt task panicked")?;
        let took = started.elapsed().as_nanos() as u64;
        let before = self.hash_ns.load(Ordering::Relaxed);
        let average = if before == 0 {
            took
        } else {
            (before * 7 + took) / 8
        };
        self.hash_ns.store(average, Ordering::Relaxed);
        Ok(result?)
    }
}

/// One request waiting for a hashing worker.
struct InLine<'a>(&'a AtomicUsize);

impl<'a> InLine<'a> {
    fn join(waiting: &'a AtomicUsize) -> Self {
        waiting.fetch_add(1, Ordering::Relaxed);
        Self(waiting)
    }
}

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Why hashing did not happen.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error(transparent)]
    Overloaded(Overloaded),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Hashes `password` with `cost` on the blocking pool.
pub async fn hash(password: String, cost: u32) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || make(&password, cost))
        .await
        .context("bcrypt task panicked")?
}

/// The prefix of a hash of the pre-hashed password.
const PREHASHED: &str = "bcrypt_sha256$";

/// What bcrypt is given: 64 hex digits, whatever the password's length.
fn prehash(password: &str) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(password.as_bytes()))
}

/// A new stored hash of `password`.
fn make(password: &str, cost: u32) -> anyhow::Result<String> {
    let hash = bcrypt::hash(prehash(password), cost).context("Failed to hash the password")?;
    Ok(format!("{PREHASHED}{hash}"))
}

/// Whether `password` matches the stored hash (either form); a malformed
/// hash is a mismatch.
fn check(password: &str, stored: &str) -> bool {
    match stored.strip_prefix(PREHASHED) {
        Some(hash) => bcrypt::verify(prehash(password), hash).unwrap_or(false),
        None => bcrypt::verify(password, stored).unwrap_or(false),
    }
}

/// Whether a stored hash is in today's form at `cost`; login re-makes it
/// otherwise.
pub fn is_current(stored: &str, cost: u32) -> bool {
    stored.starts_with(PREHASHED) && cost_of(stored) == Some(cost)
}

/// The cost a stored hash was made with (`bcrypt_sha256$$2b$12$...` or
/// `$2b$12$...` -> 12).
pub fn cost_of(stored: &str) -> Option<u32> {
    let hash = stored.strip_prefix(PREHASHED).unwrap_or(stored);
    hash.split('$').nth(2)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_of_a_long_password_counts() {
        let password = "p".repeat(72);
        let stored = make(&password, 4).unwrap();
        assert!(stored.starts_with("bcrypt_sha256$$2b$04$"), "{stored}");
        assert!(check(&password, &stored));
        assert!(!check(&format!("{password}wrong suffix"), &stored));
        assert!(!check("p", &stored));
        // Plain bcrypt, for comparison, cannot tell them apart.
        let plain = bcrypt::hash(&password, 4).unwrap();
        assert!(check(&format!("{password}wrong suffix"), &plain));
    }

    #[test]
    fn hashes_made_before_the_prefix_still_verify_and_are_not_current() {
        let plain = bcrypt::hash("an old password", 4).unwrap();
        assert!(check("an old password", &plain));
        assert!(!check("another", &plain));
        assert!(!is_current(&plain, 4));
        assert!(is_current(&make("x", 4).unwrap(), 4));
        assert!(!is_current(&make("x", 4).unwrap(), 5));
        assert!(!check("x", "bcrypt_sha256$garbage"));
    }

    #[test]
    fn the_cost_is_read_from_the_hash() {
        assert_eq!(
            cost_of("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"),
            Some(12)
        );
        assert_eq!(cost_of("$2b$04$x"), Some(4));
        assert_eq!(cost_of("nonsense"), None);
    }
}
