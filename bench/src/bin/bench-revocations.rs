//! Revocations at scale: N revoked sessions (1,000,000 by default) recorded
//! in the test stack's Redis the way auth records them, then loaded by a
//! fresh instance's revocation list while another task keeps asking it
//! about sessions (as requests would), then reloaded as after a broker
//! reconnect. Also inserts N/10 and N one at a time in memory, to show the
//! cost per insert does not grow with the list.
//!
//!   cargo run --release -p dayone-bench --bin bench-revocations -- [--sessions N]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
    // "Requests": a session check every 50 us, each one timed. A check that
    // spun without pause would mostly measure the kernel handing out the CPU
    // away on two cores; one that sleeps between checks measures the lock.
    let probe = |list: RevocationList, stop: Arc<AtomicBool>| {
        std::thread::spawn(move || {
            let session = Uuid::new_v4();
            let mut timings = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t0 = Instant::now();
                std::hint::black_box(list.is_revoked(&session));
                timings.push(t0.elapsed());
                std::thread::sleep(Duration::from_micros(50));
            }
            timings.sort_unstable();
            timings
        })
    };
    let quantile = |timings: &[Duration], q: f64| {
        timings
            .get(((timings.len().max(1) - 1) as f64 * q) as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let stop = Arc::new(AtomicBool::new(false));
    let quiet = probe(list.clone(), stop.clone());
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let quiet = quiet.join().unwrap_or_default();
    let stop = Arc::new(AtomicBool::new(false));
    let checker = probe(list.clone(), stop.clone());
    let started = Instant::now();
    let read = list.load(&redis).await?;
    let first = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let during = checker.join().unwrap_or_default();
    println!(
        "first load: {read} read, {} in the list, in {:.2} s (target <= 2 s)",
        list.len(),
        first.as_secs_f64(),
    );
    println!(
        "    session checks meanwhile: {} (p99 {:.3} ms, p99.9 {:.3} ms, slowest {:.2} ms); with nothing loading: p99 {:.3} ms, p99.9 {:.3} ms, slowest {:.2} ms",
        during.len(),
        quantile(&during, 0.99),
        quantile(&during, 0.999),
        quantile(&during, 1.0),
        quantile(&quiet, 0.99),
        quantile(&quiet, 0.999),
        quantile(&quiet, 1.0),
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
