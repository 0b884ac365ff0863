//! Per-interface rx/tx bytes/s and totals, from heim's network IO counters.
//! Every interface is listed; the sums leave out loopback.

use std::time::Instant;

use futures::StreamExt;
use heim::units::information::byte;
use sysmonstm_protocol::model::NetIo;

use super::CollectError;
use crate::rates::PairCounters;

#[derive(Default)]
pub struct NetworkCollector {
    counters: PairCounters,
    at: Option<Instant>,
}

/// Whether an interface's traffic counts toward the machine's totals.
fn counts_toward_total(interface: &str) -> bool {
    interface != "lo"
}

impl NetworkCollector {
    /// Interfaces with rates, and the rx/tx sums over non-loopback interfaces.
    pub async fn collect(&mut self, now: Instant) -> Result<(Vec<NetIo>, f64, f64), CollectError> {
        let mut stream = heim::net::io_counters().await?.boxed();
        let mut readings = Vec::new();
        while let Some(counters) = stream.next().await {
            let counters = counters?;
            readings.push((
                counters.interface().to_owned(),
                counters.bytes_recv().get::<byte>(),
                counters.bytes_sent().get::<byte>(),
            ));
        }
        let elapsed = self.at.map(|at| now.duration_since(at).as_secs_f64()).unwrap_or(0.0);
        self.at = Some(now);
        let nics: Vec<NetIo> = self
            .counters
            .update(readings, elapsed)
            .into_iter()
            .map(|r| NetIo {
                interface: r.name,
                rx_bps: r.first_per_sec,
                tx_bps: r.second_per_sec,
                rx_bytes_total: r.first_total,
                tx_bytes_total: r.second_total,
            })
            .collect();
        let counted = || nics.iter().filter(|n| counts_toward_total(&n.interface));
        let rx = counted().map(|n| n.rx_bps).sum();
        let tx = counted().map(|n| n.tx_bps).sum();
        Ok((nics, rx, tx))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_is_not_counted() {
        assert!(!super::counts_toward_total("lo"));
        assert!(super::counts_toward_total("eth0"));
    }
}
