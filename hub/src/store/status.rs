//! What the rest of the hub sees of the storage writer: its backlog, its
//! health, what it committed, sealed and dropped, and the store's size.
//! Shared through an `Arc`: the writer updates it, the gRPC side reads the
//! backlog (backpressure), HTTP reads the rest (`/ready`, `/api/stats`,
//! `/metrics`).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::budget::{Freed, StoreUsage};
use crate::health::Health;

/// What the rest of the hub sees of the writer: backlog, health, counts.
#[derive(Debug, Default)]
pub struct StoreStatus {
    /// Rows received and not yet committed.
    pub backlog: AtomicUsize,
    /// Rows committed (and so acked) since start.
    pub stored: AtomicU64,
    /// Committed batches and the seconds they took, for /metrics.
    pub batches: AtomicU64,
    pub batch_seconds_total: Mutex<f64>,
    /// Samples sealed into chunks since start.
    pub sealed: AtomicU64,
    /// Whether writes work (failing while they fail), and the last error.
    pub health: Health,
    /// The store's size, as last measured.
    pub usage: Mutex<Option<StoreUsage>>,
    /// Dropped to keep under `--max-disk` since start: raw chunks, raw
    /// version-1 rows, 1-minute rows, 1-hour rows.
    pub dropped_for_space: [AtomicU64; 4],
}

impl StoreStatus {
    /// The store's size, as last measured.
    pub fn usage(&self) -> Option<StoreUsage> {
        self.usage.lock().ok().and_then(|u| u.clone())
    }

    pub fn dropped(&self, freed: &Freed) {
        let counts = [freed.raw_chunks, freed.raw_rows, freed.minute_rows, freed.hour_rows];
        for (counter, n) in self.dropped_for_space.iter().zip(counts) {
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }
}
