//! Hub-wide counters for `/api/stats`, updated lock-free on the hot path.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::alerts::channel::Kind;
use crate::store::status::StoreStatus;

/// How many channel kinds there are (counters are kept per kind).
pub const KINDS: usize = Kind::ALL.len();

/// Sent and failed notifications of one channel kind.
#[derive(Debug, Serialize)]
pub struct Notifications {
    pub sent: u64,
    pub failed: u64,
}

/// How often the samples-per-second rate is recomputed.
pub const RATE_WINDOW: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct Stats {
    started: Instant,
    pub agents_connected: AtomicI64,
    /// Firing alerts a silence or maintenance window holds back now.
    pub alerts_silenced: AtomicI64,
    pub browser_sessions: AtomicI64,
    pub samples_received: AtomicU64,
    pub webhooks_delivered: AtomicU64,
    /// Samples agents reported dropping (buffer full), summed at their connects.
    pub agent_samples_dropped: AtomicU64,
    pub alert_evaluations: AtomicU64,
    pub webhooks_failed: AtomicU64,
    pub webhook_retries: AtomicU64,
    /// gRPC connections closed on arrival because the cap was reached.
    pub grpc_connections_refused: AtomicU64,
    /// Agent streams refused for a missing or wrong token, or a machine id outside the token's globs.
    pub agent_streams_refused: AtomicU64,
    /// Notifications sent and failed (after their retries), per channel
    /// kind in [`Kind::ALL`]'s order; tests of a channel count too.
    pub notifications_sent: [AtomicU64; KINDS],
    pub notifications_failed: [AtomicU64; KINDS],
    /// samples_received at the last rate tick, and the rate then (f64 bits).
    last_total: AtomicU64,
    rate_bits: AtomicU64,
}

/// What `GET /api/stats` answers.
#[derive(Debug, Serialize)]
pub struct StatsReport {
    pub agents_connected: i64,
    pub machines_known: usize,
    pub samples_received_total: u64,
    pub samples_per_second: f64,
    pub browser_sessions: i64,
    pub uptime_secs: u64,
    pub webhooks_delivered: u64,
    pub webhooks_failed: u64,
    pub webhook_retries: u64,
    /// Samples committed to the store (and so acked) since start.
    pub samples_stored_total: u64,
    /// Samples received and not yet committed.
    pub storage_queue: usize,
    /// The store's size, as last measured.
    pub storage: Option<crate::store::budget::StoreUsage>,
    /// Per channel kind (`email`, `slack`, …).
    pub notifications: std::collections::BTreeMap<&'static str, Notifications>,
    /// Firing alerts a silence or maintenance window holds back now.
    pub alerts_silenced: i64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            started: Instant::now(),
            agents_connected: AtomicI64::new(0),
            alerts_silenced: AtomicI64::new(0),
            browser_sessions: AtomicI64::new(0),
            samples_received: AtomicU64::new(0),
            webhooks_delivered: AtomicU64::new(0),
            agent_samples_dropped: AtomicU64::new(0),
            alert_evaluations: AtomicU64::new(0),
            webhooks_failed: AtomicU64::new(0),
            webhook_retries: AtomicU64::new(0),
            grpc_connections_refused: AtomicU64::new(0),
            agent_streams_refused: AtomicU64::new(0),
            notifications_sent: std::array::from_fn(|_| AtomicU64::new(0)),
            notifications_failed: std::array::from_fn(|_| AtomicU64::new(0)),
            last_total: AtomicU64::new(0),
            rate_bits: AtomicU64::new(0f64.to_bits()),
        }
    }
}

impl Stats {
    /// Counts one notification through a channel of `kind`.
    pub fn count_notification(&self, kind: Kind, sent: bool) {
        let counters = if sent { &self.notifications_sent } else { &self.notifications_failed };
        counters[kind.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Sent and failed notifications of `kind`.
    pub fn notified(&self, kind: Kind) -> (u64, u64) {
        let i = kind.index();
        (self.notifications_sent[i].load(Ordering::Relaxed), self.notifications_failed[i].load(Ordering::Relaxed))
    }

    /// Recomputes the rate; called every `elapsed` (normally RATE_WINDOW).
    pub fn tick(&self, elapsed: Duration) {
        let total = self.samples_received.load(Ordering::Relaxed);
        let before = self.last_total.swap(total, Ordering::Relaxed);
        let secs = elapsed.as_secs_f64();
        let rate = if secs > 0.0 { total.saturating_sub(before) as f64 / secs } else { 0.0 };
        self.rate_bits.store(rate.to_bits(), Ordering::Relaxed);
    }

    pub fn report(&self, machines_known: usize, store: &StoreStatus) -> StatsReport {
        StatsReport {
            agents_connected: self.agents_connected.load(Ordering::Relaxed),
            machines_known,
            samples_received_total: self.samples_received.load(Ordering::Relaxed),
            samples_per_second: f64::from_bits(self.rate_bits.load(Ordering::Relaxed)),
            browser_sessions: self.browser_sessions.load(Ordering::Relaxed),
            uptime_secs: self.started.elapsed().as_secs(),
            webhooks_delivered: self.webhooks_delivered.load(Ordering::Relaxed),
            webhooks_failed: self.webhooks_failed.load(Ordering::Relaxed),
            webhook_retries: self.webhook_retries.load(Ordering::Relaxed),
            samples_stored_total: store.stored.load(Ordering::Relaxed),
            storage_queue: store.backlog.load(Ordering::Relaxed),
            storage: store.usage(),
            notifications: Kind::ALL
                .iter()
                .map(|k| {
                    let (sent, failed) = self.notified(*k);
                    (k.name(), Notifications { sent, failed })
                })
                .collect(),
            alerts_silenced: self.alerts_silenced.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_is_delta_over_window() {
        let stats = Stats::default();
        let store = StoreStatus::default();
        stats.samples_received.fetch_add(30, Ordering::Relaxed);
        stats.tick(Duration::from_secs(2));
        assert_eq!(stats.report(0, &store).samples_per_second, 15.0);
        stats.tick(Duration::from_secs(1));
        assert_eq!(stats.report(3, &store).samples_per_second, 0.0);
        assert_eq!(stats.report(3, &store).samples_received_total, 30);
        assert_eq!(stats.report(3, &store).machines_known, 3);
    }

    #[test]
    fn storage_queue_and_stored_come_from_the_writer() {
        let store = StoreStatus::default();
        store.backlog.store(1_234, Ordering::Relaxed);
        store.stored.store(99, Ordering::Relaxed);
        let report = Stats::default().report(0, &store);
        assert_eq!((report.storage_queue, report.samples_stored_total), (1_234, 99));
    }
}
