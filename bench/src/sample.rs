//! Realistic samples: 8 cores, 3 disks, 2 interfaces, 5 top processes,
//! values wandering a little from sample to sample.

use sysmonstm_protocol::pb;

use crate::walk::Walk;

/// How simulated values move from one sample to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Values {
    /// One random number per sample moves every changing value at once
    /// (the worst case for compression: no value follows its last).
    Jitter,
    /// Each value its own bounded random walk, as a real machine's.
    Walk,
}

/// The samples of one simulated machine.
#[derive(Debug, Clone)]
pub enum Source {
    Jitter,
    Walk(Box<Walk>),
}

impl Source {
    /// A machine's source; `seed` makes walks differ between machines.
    pub fn new(values: Values, seed: u64) -> Source {
        match values {
            Values::Jitter => Source::Jitter,
            Values::Walk => Source::Walk(Box::new(Walk::new(seed))),
        }
    }

    /// The next sample.
    pub fn next(&mut self, seq: u64, timestamp_ms: i64) -> pb::Sample {
        match self {
            Source::Jitter => sample(seq, timestamp_ms, rand::random()),
            Source::Walk(walk) => walk.sample(seq, timestamp_ms),
        }
    }
}

/// A sample for `seq`, taken `timestamp_ms`, varied by `jitter` in [0, 1).
pub fn sample(seq: u64, timestamp_ms: i64, jitter: f64) -> pb::Sample {
    let cpu = 20.0 + 40.0 * jitter;
    pb::Sample {
        seq,
        timestamp_ms,
        cpu: Some(pb::CpuStats {
            total_percent: cpu,
            per_core_percent: (0..8).map(|c| (cpu + c as f64 * 3.0).min(100.0)).collect(),
            user_percent: cpu * 0.7,
            system_percent: cpu * 0.2,
            iowait_percent: 1.5,
            steal_percent: 0.0,
        }),
        memory: Some(pb::MemoryStats {
            total: 16 << 30,
            used: 9 << 30,
            available: 7 << 30,
            percent: 56.25 + jitter,
            swap_total: 2 << 30,
            swap_used: 1 << 28,
            swap_percent: 12.5,
        }),
        disks: ["/", "/var", "/data"]
            .iter()
            .enumerate()
            .map(|(i, m)| pb::DiskUsage {
                mount_point: m.to_string(),
                device: format!("/dev/sda{}", i + 1),
                filesystem: "ext4".into(),
                total: 500 << 30,
                used: (100 + 100 * i as u64) << 30,
                free: (400 - 100 * i as u64) << 30,
                percent: 20.0 + 20.0 * i as f64,
            })
            .collect(),
        disk_io: ["sda", "sdb", "nvme0n1"]
            .iter()
            .map(|d| pb::DiskIo {
                device: d.to_string(),
                read_bps: 1e6 * jitter,
                write_bps: 2e6 * jitter,
                read_bytes_total: 1 << 36,
                write_bytes_total: 1 << 37,
            })
            .collect(),
        net: ["eth0", "eth1"]
            .iter()
            .map(|n| pb::NetIo {
                interface: n.to_string(),
                rx_bps: 5e5 * jitter,
                tx_bps: 2e5 * jitter,
                rx_bytes_total: 1 << 40,
                tx_bytes_total: 1 << 39,
            })
            .collect(),
        load: Some(pb::LoadAvg { load1: 2.0 * jitter, load5: 1.5, load15: 1.2 }),
        process_count: 312,
        tcp_connections: 48,
        uptime_secs: 864_000 + seq,
        top_processes: (0..5)
            .map(|p| pb::ProcessInfo {
                pid: 1000 + p,
                name: format!("worker-{p}"),
                cpu_percent: 30.0 - p as f64 * 5.0,
                rss: (200 - 30 * p as u64) << 20,
            })
            .collect(),
        disk_read_bps: 3e6 * jitter,
        disk_write_bps: 6e6 * jitter,
        net_rx_bps: 1e6 * jitter,
        net_tx_bps: 4e5 * jitter,
        collector_errors: 0,
    }
}
