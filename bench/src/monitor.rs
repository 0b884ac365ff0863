//! Watching the hub during a run: its RSS (from /proc), its storage queue
//! (from `/api/stats`), and its CPU time over the full-load window (after the
//! ramp, until sending stops).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::agent::LoadCounters;
use crate::procfs;

/// How often the hub's RSS and CPU are read.
pub const POLL: Duration = Duration::from_millis(500);
/// How often the storage queue is read. It comes from `/api/stats`, a few
/// counters: `/metrics` lists every machine (about 12 MB at 10,000), and
/// scraping it is work a Prometheus would cause at its own interval, not
/// part of carrying the fleet (BENCHMARKS.md gives its cost).
pub const QUEUE_EVERY: Duration = Duration::from_secs(5);

/// What the monitor saw.
#[derive(Debug, Default)]
pub struct Observed {
    pub max_backlog: AtomicI64,
    /// The queue at each scrape, in order.
    pub backlog_series: std::sync::Mutex<Vec<i64>>,
    /// Storage queue depth when sending stopped (-1: unknown).
    pub backlog_at_end: AtomicI64,
    /// Hub CPU time at the end of the ramp and when sending stopped, in µs.
    pub cpu_full_load_start_us: AtomicU64,
    pub cpu_full_load_end_us: AtomicU64,
}

impl Observed {
    /// Average hub cores over the full-load window of `length`.
    pub fn full_load_cores(&self, length: Duration) -> Option<f64> {
        let (start, end) =
            (self.cpu_full_load_start_us.load(Ordering::Relaxed), self.cpu_full_load_end_us.load(Ordering::Relaxed));
        (start > 0 && end > start && !length.is_zero()).then(|| (end - start) as f64 / 1e6 / length.as_secs_f64())
    }
}

/// `host:port` of a `ws://host:port/…` URL.
pub fn http_addr(ws_url: &str) -> Option<SocketAddr> {
    let rest = ws_url.strip_prefix("ws://")?;
    rest.split('/').next()?.parse().ok()
}

/// `storage_queue` of the hub's `/api/stats` answer.
pub fn queue_depth(stats: &str) -> Option<i64> {
    serde_json::from_str::<serde_json::Value>(stats).ok()?.get("storage_queue")?.as_i64()
}

fn cpu_us(pid: u32) -> u64 {
    procfs::cpu_seconds(pid).map_or(0, |s| (s * 1e6) as u64)
}

/// Watches `pid` (and the hub's HTTP API at `http`) until `send_until`.
pub async fn watch(
    pid: Option<u32>,
    http: Option<SocketAddr>,
    full_load_from: Instant,
    send_until: Instant,
    shared: Arc<LoadCounters>,
    observed: Arc<Observed>,
) {
    observed.backlog_at_end.store(-1, Ordering::Relaxed);
    let mut next_scrape = full_load_from;
    while Instant::now() < send_until {
        if let Some(pid) = pid {
            if let Some(kib) = procfs::rss_kib(pid) {
                shared.observe_rss(kib);
            }
            if Instant::now() >= full_load_from && observed.cpu_full_load_start_us.load(Ordering::Relaxed) == 0 {
                observed.cpu_full_load_start_us.store(cpu_us(pid), Ordering::Relaxed);
            }
        }
        if let Some(addr) = http.filter(|_| Instant::now() >= next_scrape) {
            next_scrape = Instant::now() + QUEUE_EVERY;
            let depth = tokio::task::spawn_blocking(move || {
                sysmonstm_protocol::probe::get(addr, "/api/stats").ok().and_then(|(_, body)| queue_depth(&body))
            })
            .await
            .ok()
            .flatten();
            if let Some(depth) = depth {
                observed.max_backlog.fetch_max(depth, Ordering::Relaxed);
                observed.backlog_at_end.store(depth, Ordering::Relaxed);
                if let Ok(mut series) = observed.backlog_series.lock() {
                    series.push(depth);
                }
            }
        }
        tokio::time::sleep(POLL).await;
    }
    if let Some(pid) = pid {
        observed.cpu_full_load_end_us.store(cpu_us(pid), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_storage_queue() {
        let stats = r#"{"agents_connected":3,"samples_stored_total":99,"storage_queue":1234}"#;
        assert_eq!(queue_depth(stats), Some(1234));
        assert_eq!(queue_depth(r#"{"agents_connected":3}"#), None);
        assert_eq!(queue_depth("nothing"), None);
    }

    #[test]
    fn metrics_address_from_the_ws_url() {
        assert_eq!(http_addr("ws://127.0.0.1:8080/ws"), Some("127.0.0.1:8080".parse().expect("addr")));
        assert_eq!(http_addr("wss://host/ws"), None);
    }

    #[test]
    fn cores_over_the_window() {
        let observed = Observed::default();
        observed.cpu_full_load_start_us.store(1_000_000, Ordering::Relaxed);
        observed.cpu_full_load_end_us.store(31_000_000, Ordering::Relaxed);
        assert_eq!(observed.full_load_cores(Duration::from_secs(60)), Some(0.5));
    }
}
