//! Small load-generation helpers shared by the benchmarks in `src/bin/`.
//!
//! Every benchmark runs against a live stack (by default the one `make up`
//! starts, behind the gateway on 127.0.0.1:8080) and prints its figures.
//! Requests go out from 200 loopback addresses in turn (127.0.0.10 to
//! .209): the gateway limits requests per client address, and a benchmark
//! stands for many clients, not one hammering client.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

/// Command-line options shared by the benchmarks: `--gateway URL`,
/// `--seconds N`, `--concurrency N`.
pub struct Options {
    pub gateway: String,
    pub seconds: u64,
    pub concurrency: usize,
}

impl Options {
    pub fn from_args(default_concurrency: usize) -> Self {
        let args: Vec<String> = std::env::args().collect();
        let value = |flag: &str| {
            args.iter()
                .position(|a| a == flag)
                .and_then(|i| args.get(i + 1).cloned())
        };
        Self {
            gateway: value("--gateway").unwrap_or_else(|| "http://127.0.0.1:8080".into()),
            seconds: value("--seconds")
                .and_then(|v| v.parse().ok())
                .unwrap_or(10),
            concurrency: value("--concurrency")
                .and_then(|v| v.parse().ok())
                .unwrap_or(default_concurrency),
        }
    }
}

/// How many client addresses requests rotate through.
pub const ADDRESSES: usize = 200;

/// One client per source address; pick with [`pick`].
pub fn clients() -> Vec<reqwest::Client> {
    (0..ADDRESSES).map(client).collect()
}

/// The client for a worker's n-th request: consecutive requests of a worker
/// come from different addresses.
pub fn pick(clients: &[reqwest::Client], worker: usize, n: usize) -> &reqwest::Client {
    &clients[(worker + n * 7919) % clients.len()]
}

/// A client whose connections come from 127.0.0.(10 + n).
pub fn client(n: usize) -> reqwest::Client {
    let last = 10 + (n % 240) as u8;
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .pool_max_idle_per_host(4)
        .build()
        .unwrap_or_default()
}

/// Latencies of successful requests and a count of failed ones.
#[derive(Default)]
pub struct Samples {
    pub ok: Vec<Duration>,
    pub failed: u64,
    pub elapsed: Duration,
}

impl Samples {
    pub fn merge(&mut self, other: Samples) {
        self.ok.extend(other.ok);
        self.failed += other.failed;
    }

    fn percentile(sorted: &[Duration], p: f64) -> Duration {
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
        sorted[rank.min(sorted.len() - 1)]
    }

    /// Prints one line of figures.
    pub fn report(mut self, name: &str) {
        self.ok.sort_unstable();
        let rate = self.ok.len() as f64 / self.elapsed.as_secs_f64();
        println!(
            "{name:<28} {:>9.1} req/s   p50 {:>8.2} ms   p99 {:>8.2} ms   ok {:>7}   failed {:>5}",
            rate,
            Self::percentile(&self.ok, 50.0).as_secs_f64() * 1000.0,
            Self::percentile(&self.ok, 99.0).as_secs_f64() * 1000.0,
            self.ok.len(),
            self.failed,
        );
    }
}

/// Runs `request(worker, n)` from `concurrency` workers for `seconds`;
/// each call returns whether the request succeeded.
pub async fn run<F, Fut>(concurrency: usize, seconds: u64, request: F) -> Samples
where
    F: Fn(usize, usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut samples = Samples::default();
                let mut n = 0;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    n += 1;
                    if request(worker, n).await {
                        samples.ok.push(sent.elapsed());
                    } else {
                        samples.failed += 1;
                    }
                }
                samples
            })
        })
        .collect();
    let mut all = Samples::default();
    for worker in workers {
        if let Ok(samples) = worker.await {
            all.merge(samples);
        }
    }
    all.elapsed = started.elapsed();
    all
}

/// CPU seconds (user + system) used so far by the processes of the test
/// stack and by this one, for "where did the CPU go" lines.
pub mod cpu {
    use std::collections::BTreeMap;

    fn ticks_per_second() -> f64 {
        100.0 // USER_HZ on Linux
    }

    /// `(ppid, utime + stime in ticks)` of one process.
    fn stat(pid: u32) -> Option<(u32, u64)> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The command sits in parentheses and may hold spaces.
        let rest = &text[text.rfind(')')? + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ppid = fields.get(1)?.parse().ok()?;
        let utime: u64 = fields.get(11)?.parse().ok()?;
        let stime: u64 = fields.get(12)?.parse().ok()?;
        Some((ppid, utime + stime))
    }

    fn pid_file(name: &str) -> Option<u32> {
        let root = dayone_test_support::repo_root();
        std::fs::read_to_string(root.join(format!(".state/test/run/{name}.pid")))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// CPU seconds per component: this process, PostgreSQL (the postmaster
    /// and its backends), RabbitMQ, Redis.
    pub fn snapshot() -> BTreeMap<&'static str, f64> {
        let mut all: Vec<(u32, u32, u64)> = Vec::new();
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.flatten() {
                if let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok())
                    && let Some((ppid, ticks)) = stat(pid)
                {
                    all.push((pid, ppid, ticks));
                }
            }
        }
        let own = |pid: Option<u32>, with_children: bool| -> f64 {
            let Some(pid) = pid else { return 0.0 };
            let ticks: u64 = all
                .iter()
                .filter(|(p, pp, _)| *p == pid || (with_children && *pp == pid))
                .map(|(_, _, t)| *t)
                .sum();
            ticks as f64 / ticks_per_second()
        };
        BTreeMap::from([
            (
                "this process (service, sink, load)",
                own(Some(std::process::id()), false),
            ),
            ("postgresql", own(pid_file("postgres"), true)),
            ("rabbitmq", own(pid_file("rabbitmq"), false)),
            ("redis", own(pid_file("redis"), false)),
        ])
    }

    /// `name 1.23 s (45 %)` per component between two snapshots taken
    /// `wall` seconds apart.
    pub fn report(
        before: &BTreeMap<&'static str, f64>,
        after: &BTreeMap<&'static str, f64>,
        wall: f64,
    ) -> String {
        after
            .iter()
            .map(|(name, end)| {
                let used = end - before.get(name).copied().unwrap_or(0.0);
                format!(
                    "{name} {used:.1} s ({:.0} % of a core)",
                    100.0 * used / wall
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}
