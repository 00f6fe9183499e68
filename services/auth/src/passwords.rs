//! bcrypt, off the async executor (a cost-12 hash takes ~200 ms of CPU).

use anyhow::Context;

/// Hashes `password` with `cost` on the blocking pool.
pub async fn hash(password: String, cost: u32) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || bcrypt::hash(password, cost))
        .await
        .context("bcrypt task panicked")?
        .context("Failed to hash the password")
}

/// Checks `password` against `hash` on the blocking pool. A malformed hash
/// counts as a mismatch.
pub async fn verify(password: String, hash: String) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
        .await
        .context("bcrypt task panicked")
}

/// The cost a bcrypt hash was made with (`$2b$12$...` -> 12).
pub fn cost_of(hash: &str) -> Option<u32> {
    hash.split('$').nth(2)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::cost_of;

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
