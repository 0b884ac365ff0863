//! Progress during long runs (`--report-every`): one JSON line on stderr per
//! interval with what happened in that interval, so a soak shows whether
//! the hub's memory, descriptors and latency level off.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::agent::{histogram, LoadCounters};
use crate::procfs;

#[derive(Debug, Serialize)]
pub struct Progress {
    /// Seconds since the run started.
    pub t_s: u64,
    /// Samples acked in this interval.
    pub acked: u64,
    pub ack_p99_ms: Option<f64>,
    pub e2e_p99_ms: Option<f64>,
    pub hub_rss_mb: Option<f64>,
    pub hub_fds: Option<usize>,
    pub connected: u64,
    pub errors: u64,
}

/// p99 of a window histogram in ms, emptying it for the next interval.
fn take_p99(window: &Mutex<Histogram<u64>>) -> Option<f64> {
    let mut h = window.lock().ok()?;
    let taken = std::mem::replace(&mut *h, histogram());
    (!taken.is_empty()).then(|| taken.value_at_quantile(0.99) as f64 / 1000.0)
}

/// Prints a line every `every` until `until`.
pub async fn report(every: Duration, pid: Option<u32>, shared: Arc<LoadCounters>, started: Instant, until: Instant) {
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    let mut acked_before = 0;
    while Instant::now() < until {
        ticker.tick().await;
        let acked = shared.acked_so_far.load(Ordering::Relaxed);
        let line = Progress {
            t_s: started.elapsed().as_secs(),
            acked: acked - acked_before,
            ack_p99_ms: take_p99(&shared.window_ack_us),
            e2e_p99_ms: take_p99(&shared.window_e2e_us),
            hub_rss_mb: pid.and_then(procfs::rss_kib).map(|kib| kib as f64 / 1024.0),
            hub_fds: pid.and_then(procfs::open_fds),
            connected: shared.connected.load(Ordering::Relaxed),
            errors: shared.errors.load(Ordering::Relaxed),
        };
        acked_before = acked;
        if let Ok(json) = serde_json::to_string(&line) {
            eprintln!("{json}");
        }
    }
}
