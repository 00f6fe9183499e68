//! Revocations at scale: N revoked sessions (1,000,000 by default) recorded
//! in the test stack's Redis the way auth records them, then loaded by a
//! fresh instance's revocation list while another task keeps asking it
//! about sessions (as requests would), then reloaded as after a broker
//! reconnect. Also inserts N/10 and N one at a time in memory, to show the
//! cost per insert does not grow with the list.
//!
//!   cargo run --release -p dayone-bench --bin bench-revocations -- [--sessions N]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dayone_notification::Settings;
use dayone_test_support::TestEnv;
use dayone_web::auth::{RevocationList, record_revocations};
use dayone_web::redis::Redis;
use uuid::Uuid;

fn sessions() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--sessions")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn inserts_one_by_one(n: usize) -> Duration {
    let list = RevocationList::default();
    let until = chrono::Utc::now().timestamp() + 900;
    let started = Instant::now();
    for _ in 0..n {
        list.revoke(Uuid::new_v4(), until);
    }
    started.elapsed()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n = sessions();
    let env = TestEnv::new("bench").await?;
    let settings: Settings = dayone_web::settings::load_with(
        "notification",
        &dayone_test_support::config_dir(),
        env.vars.clone(),
    )?;
    let redis = Redis::connect_lazy(&settings.common.redis)?;

    // Record N revocations, 10,000 per round trip, as auth does.
    let until = chrono::Utc::now().timestamp() + 900;
    let started = Instant::now();
    let all: Vec<(Uuid, i64)> = (0..n).map(|_| (Uuid::new_v4(), until)).collect();
    for chunk in all.chunks(10_000) {
        record_revocations(&redis, chunk).await?;
    }
    println!(
        "recorded {n} revocations in Redis in {:.2} s",
        started.elapsed().as_secs_f64()
    );

    // A fresh instance, started a little later, loads them while
    // "requests" keep checking sessions.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let list = RevocationList::default();
    let stop = Arc::new(AtomicBool::new(false));
    let worst_ns = Arc::new(AtomicU64::new(0));
    let checks = Arc::new(AtomicU64::new(0));
    let checker = std::thread::spawn({
        let (list, stop, worst_ns, checks) =
            (list.clone(), stop.clone(), worst_ns.clone(), checks.clone());
        move || {
            let probe = Uuid::new_v4();
            while !stop.load(Ordering::Relaxed) {
                let t0 = Instant::now();
                std::hint::black_box(list.is_revoked(&probe));
                worst_ns.fetch_max(t0.elapsed().as_nanos() as u64, Ordering::Relaxed);
                checks.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    let started = Instant::now();
    let read = list.load(&redis).await?;
    let first = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    checker.join().ok();
    println!(
        "first load: {read} read, {} in the list, in {:.2} s (target <= 2 s); {} lookups meanwhile, the slowest {:.2} ms",
        list.len(),
        first.as_secs_f64(),
        checks.load(Ordering::Relaxed),
        worst_ns.load(Ordering::Relaxed) as f64 / 1e6,
    );
    assert!(list.is_revoked(&all[n / 2].0));

    // A reconnect: only what was recorded since the load (1,000 more).
    let later: Vec<(Uuid, i64)> = (0..1000).map(|_| (Uuid::new_v4(), until)).collect();
    record_revocations(&redis, &later).await?;
    let started = Instant::now();
    let again = list.load(&redis).await?;
    println!(
        "reload after a reconnect, 1,000 recorded since: {again} read in {:.3} s",
        started.elapsed().as_secs_f64()
    );
    assert!(list.is_revoked(&later[999].0));

    // In memory, one insert at a time: per-insert cost at N/10 and at N.
    let small = inserts_one_by_one(n / 10);
    let large = inserts_one_by_one(n);
    println!(
        "in memory, one at a time: {} in {:.3} s ({:.0} ns each), {n} in {:.3} s ({:.0} ns each): {:.2}x the cost per insert at 10x the size",
        n / 10,
        small.as_secs_f64(),
        small.as_nanos() as f64 / (n / 10) as f64,
        large.as_secs_f64(),
        large.as_nanos() as f64 / n as f64,
        (large.as_nanos() as f64 / n as f64) / (small.as_nanos() as f64 / (n / 10) as f64),
    );

    let _: () = redis::cmd("DEL")
        .arg(redis.key("revocations"))
        .query_async(&mut redis.connection())
        .await?;
    Ok(())
}
