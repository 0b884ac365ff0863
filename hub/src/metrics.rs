//! The summary metrics stored one column each, in one place: the migrations,
//! the writers, the history API and (later) alert rules all use this list.

use sysmonstm_protocol::model::{HostInfo, Sample};

/// A stored metric: its column name and how to read it from a sample.
pub struct Metric {
    pub name: &'static str,
    pub read: fn(&Sample, &HostInfo) -> f64,
}

/// Every metric with its own column in `samples` (and `_avg`/`_max` in rollups).
pub const METRICS: &[Metric] = &[
    Metric { name: "cpu_percent", read: |s, _| s.cpu.total_percent },
    Metric { name: "memory_percent", read: |s, _| s.memory.percent },
    Metric { name: "memory_used", read: |s, _| s.memory.used as f64 },
    Metric { name: "swap_percent", read: |s, _| s.memory.swap_percent },
    Metric { name: "disk_percent", read: |s, _| s.fullest_disk_percent() },
    Metric { name: "load1", read: |s, _| s.load.load1 },
    Metric { name: "load5", read: |s, _| s.load.load5 },
    Metric { name: "load15", read: |s, _| s.load.load15 },
    Metric { name: "load1_per_core", read: |s, h| per_core(s.load.load1, h.cpu_cores) },
    Metric { name: "net_rx_bps", read: |s, _| s.net_rx_bps },
    Metric { name: "net_tx_bps", read: |s, _| s.net_tx_bps },
    Metric { name: "disk_read_bps", read: |s, _| s.disk_read_bps },
    Metric { name: "disk_write_bps", read: |s, _| s.disk_write_bps },
    Metric { name: "process_count", read: |s, _| f64::from(s.process_count) },
    Metric { name: "tcp_connections", read: |s, _| f64::from(s.tcp_connections) },
];

fn per_core(load: f64, cores: u32) -> f64 {
    if cores == 0 {
        load
    } else {
        load / f64::from(cores)
    }
}

/// The metric called `name`.
pub fn find(name: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.name == name)
}

/// Every metric's value for one sample, in `METRICS` order.
pub fn values(sample: &Sample, host: &HostInfo) -> Vec<f64> {
    METRICS.iter().map(|m| (m.read)(sample, host)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sysmonstm_protocol::model::LoadAvg;

    #[test]
    fn reads_and_finds() {
        let sample =
            Sample { load: LoadAvg { load1: 4.0, load5: 2.0, load15: 1.0 }, process_count: 7, ..Default::default() };
        let host = HostInfo { cpu_cores: 2, ..Default::default() };
        let values = values(&sample, &host);
        assert_eq!(values.len(), METRICS.len());
        let at = |name: &str| values[METRICS.iter().position(|m| m.name == name).expect("metric")];
        assert_eq!(at("load1_per_core"), 2.0);
        assert_eq!(at("process_count"), 7.0);
        assert!(find("cpu_percent").is_some());
        assert!(find("nope").is_none());
    }

    #[test]
    fn names_are_unique_sql_identifiers() {
        let mut names: Vec<_> = METRICS.iter().map(|m| m.name).collect();
        assert!(names.iter().all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')));
        names.sort();
        names.dedup();
        assert_eq!(names.len(), METRICS.len());
    }
}
