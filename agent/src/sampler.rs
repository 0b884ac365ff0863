//! The sampling loop: one sample per interval into the unacked buffer.

use std::sync::Arc;
use std::time::Duration;

use slog::{debug, warn, Logger};
use tokio::sync::watch;
use tokio::time::{interval_at, Instant, MissedTickBehavior};

use crate::collectors::Collector;
use crate::outbox::Outbox;

/// Takes samples until `shutdown` turns true, following interval changes live.
pub async fn run(
    outbox: Arc<Outbox>,
    mut collector: Collector,
    mut interval: watch::Receiver<Duration>,
    mut shutdown: watch::Receiver<bool>,
    log: Logger,
) {
    // Prime the counters so the first real sample has rates.
    collector.collect(0).await;
    let mut period = *interval.borrow_and_update();
    let mut ticker = ticker(period);
    let mut seq = 0u64;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            changed = interval.changed() => {
                if changed.is_err() { return; }
                period = *interval.borrow_and_update();
                debug!(log, "sampling interval changed"; "interval_ms" => period.as_millis() as u64);
                ticker = self::ticker(period);
                continue;
            }
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
        seq += 1;
        let sample = collector.collect(seq).await;
        if outbox.push(sample) {
            warn!(log, "unacked buffer full: dropped the oldest sample"; "dropped_total" => outbox.dropped());
        }
    }
}

fn ticker(period: Duration) -> tokio::time::Interval {
    let mut ticker = interval_at(Instant::now() + period, period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticker
}
