//! `--values walk`: samples whose values each follow a bounded random walk
//! of their own, as a real machine's do, instead of all moving with one
//! random number (`--values jitter`, the worst case for compression).
//!
//! Each second every value takes a step drawn uniformly from ±its step,
//! stays within its bounds, and is rounded to what its source reports:
//! memory and disk space in 4 KiB pages, disk totals in 512-byte sectors,
//! percentages and loads to 0.01. Byte totals grow by the walked rate, and
//! the summary rates are the sums of the per-device ones, as the agent
//! computes them. Same 8 cores, 3 disks, 3 devices, 2 interfaces and
//! 5 processes as the jitter samples.

use rand::rngs::StdRng as SmallRng;
use rand::{Rng, SeedableRng};
use sysmonstm_protocol::pb;

const PAGE: f64 = 4096.0;
const SECTOR: f64 = 512.0;
const GIB: f64 = (1u64 << 30) as f64;
const MIB: f64 = (1u64 << 20) as f64;

/// One walking value.
#[derive(Debug, Clone)]
struct Walker {
    value: f64,
    step: f64,
    low: f64,
    high: f64,
}

impl Walker {
    fn new(rng: &mut SmallRng, low: f64, high: f64, step: f64) -> Self {
        Walker { value: rng.random_range(low..=high), step, low, high }
    }

    fn next(&mut self, rng: &mut SmallRng) -> f64 {
        self.value = (self.value + rng.random_range(-self.step..=self.step)).clamp(self.low, self.high);
        self.value
    }
}

fn hundredths(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn units(v: f64, unit: f64) -> u64 {
    ((v / unit).round() * unit) as u64
}

/// A device's read/write rate walkers and byte totals.
#[derive(Debug, Clone)]
struct Device {
    rates: [Walker; 2],
    totals: [u64; 2],
}

/// The walking state of one simulated machine.
#[derive(Debug, Clone)]
pub struct Walk {
    rng: SmallRng,
    cpu: Vec<Walker>,
    split: [Walker; 3],
    memory_used: Walker,
    swap_used: Walker,
    disks_used: Vec<Walker>,
    disk_io: Vec<Device>,
    net: Vec<Device>,
    load: [Walker; 3],
    counts: [Walker; 2],
    top: Vec<[Walker; 2]>,
}

const MEMORY_TOTAL: u64 = 16 << 30;
const SWAP_TOTAL: u64 = 2 << 30;
const DISK_TOTAL: u64 = 500 << 30;

impl Walk {
    /// A machine's walk; the same `seed` gives the same samples.
    pub fn new(seed: u64) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed);
        let r = &mut rng;
        let device = |r: &mut SmallRng, high: f64, step: f64| Device {
            rates: [Walker::new(r, 0.0, high, step), Walker::new(r, 0.0, high, step)],
            totals: [r.random_range(1u64 << 30..1u64 << 40), r.random_range(1u64 << 30..1u64 << 40)],
        };
        Walk {
            cpu: (0..9).map(|_| Walker::new(r, 5.0, 95.0, 2.0)).collect(),
            split: [Walker::new(r, 0.0, 10.0, 0.3), Walker::new(r, 0.0, 5.0, 0.1), Walker::new(r, 0.0, 1.0, 0.02)],
            memory_used: Walker::new(r, 4.0 * GIB, 12.0 * GIB, 2.0 * MIB),
            swap_used: Walker::new(r, 0.0, 512.0 * MIB, 64.0 * 1024.0),
            disks_used: (0..3).map(|_| Walker::new(r, 50.0 * GIB, 450.0 * GIB, 256.0 * 1024.0)).collect(),
            disk_io: (0..3).map(|_| device(r, 20.0 * MIB, 64.0 * 1024.0)).collect(),
            net: (0..2).map(|_| device(r, 12.0 * MIB, 32.0 * 1024.0)).collect(),
            load: [Walker::new(r, 0.0, 8.0, 0.05), Walker::new(r, 0.0, 8.0, 0.02), Walker::new(r, 0.0, 8.0, 0.01)],
            counts: [Walker::new(r, 250.0, 350.0, 1.0), Walker::new(r, 20.0, 80.0, 1.0)],
            top: (0..5)
                .map(|_| [Walker::new(r, 0.0, 100.0, 2.0), Walker::new(r, 50.0 * MIB, 500.0 * MIB, MIB)])
                .collect(),
            rng,
        }
    }

    /// The next sample (call once per second of the machine's timeline).
    pub fn sample(&mut self, seq: u64, timestamp_ms: i64) -> pb::Sample {
        let rng = &mut self.rng;
        let cpu: Vec<f64> = self.cpu.iter_mut().map(|w| hundredths(w.next(rng))).collect();
        let [iowait, system_extra, steal] = &mut self.split;
        let (iowait, steal) = (hundredths(iowait.next(rng)), hundredths(steal.next(rng)));
        let system = hundredths((cpu[0] * 0.2 + system_extra.next(rng)).min(cpu[0]));
        let used = units(self.memory_used.next(rng), PAGE);
        let swap_used = units(self.swap_used.next(rng), PAGE);
        let mut step_device = |d: &mut Device, unit: f64| -> [(f64, u64); 2] {
            let mut out = [(0.0, 0); 2];
            for ((rate, total), slot) in d.rates.iter_mut().zip(d.totals.iter_mut()).zip(out.iter_mut()) {
                let delta = units(rate.next(rng), unit);
                *total += delta;
                *slot = (delta as f64, *total);
            }
            out
        };
        let disk_io: Vec<[(f64, u64); 2]> = self.disk_io.iter_mut().map(|d| step_device(d, SECTOR)).collect();
        let net: Vec<[(f64, u64); 2]> = self.net.iter_mut().map(|d| step_device(d, 1.0)).collect();
        let disks_used: Vec<u64> = self.disks_used.iter_mut().map(|w| units(w.next(rng), PAGE)).collect();
        let load: Vec<f64> = self.load.iter_mut().map(|w| hundredths(w.next(rng))).collect();
        let counts: Vec<u32> = self.counts.iter_mut().map(|w| w.next(rng).round() as u32).collect();
        let top: Vec<(f64, u64)> =
            self.top.iter_mut().map(|[c, r]| (hundredths(c.next(rng)), units(r.next(rng), PAGE))).collect();
        pb::Sample {
            seq,
            timestamp_ms,
            cpu: Some(pb::CpuStats {
                total_percent: cpu[0],
                per_core_percent: cpu[1..].to_vec(),
                user_percent: hundredths(cpu[0] - system),
                system_percent: system,
                iowait_percent: iowait,
                steal_percent: steal,
            }),
            memory: Some(pb::MemoryStats {
                total: MEMORY_TOTAL,
                used,
                available: MEMORY_TOTAL - used,
                percent: hundredths(used as f64 / MEMORY_TOTAL as f64 * 100.0),
                swap_total: SWAP_TOTAL,
                swap_used,
                swap_percent: hundredths(swap_used as f64 / SWAP_TOTAL as f64 * 100.0),
            }),
            disks: ["/", "/var", "/data"]
                .iter()
                .zip(&disks_used)
                .enumerate()
                .map(|(i, (m, &used))| pb::DiskUsage {
                    mount_point: m.to_string(),
                    device: format!("/dev/sda{}", i + 1),
                    filesystem: "ext4".into(),
                    total: DISK_TOTAL,
                    used,
                    free: DISK_TOTAL - used,
                    percent: hundredths(used as f64 / DISK_TOTAL as f64 * 100.0),
                })
                .collect(),
            disk_io: ["sda", "sdb", "nvme0n1"]
                .iter()
                .zip(&disk_io)
                .map(|(d, [r, w])| pb::DiskIo {
                    device: d.to_string(),
                    read_bps: r.0,
                    write_bps: w.0,
                    read_bytes_total: r.1,
                    write_bytes_total: w.1,
                })
                .collect(),
            net: ["eth0", "eth1"]
                .iter()
                .zip(&net)
                .map(|(n, [rx, tx])| pb::NetIo {
                    interface: n.to_string(),
                    rx_bps: rx.0,
                    tx_bps: tx.0,
                    rx_bytes_total: rx.1,
                    tx_bytes_total: tx.1,
                })
                .collect(),
            load: Some(pb::LoadAvg { load1: load[0], load5: load[1], load15: load[2] }),
            process_count: counts[0],
            tcp_connections: counts[1],
            uptime_secs: 864_000 + seq,
            top_processes: top
                .iter()
                .enumerate()
                .map(|(p, &(cpu_percent, rss))| pb::ProcessInfo {
                    pid: 1000 + p as u32,
                    name: format!("worker-{p}"),
                    cpu_percent,
                    rss,
                })
                .collect(),
            disk_read_bps: disk_io.iter().map(|d| d[0].0).sum(),
            disk_write_bps: disk_io.iter().map(|d| d[1].0).sum(),
            net_rx_bps: net.iter().map(|d| d[0].0).sum(),
            net_tx_bps: net.iter().map(|d| d[1].0).sum(),
            collector_errors: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_walk_within_bounds_and_totals_grow_by_the_rate() {
        let mut walk = Walk::new(7);
        let a = walk.sample(1, 1000);
        let b = walk.sample(2, 2000);
        let (ca, cb) = (a.cpu.clone().expect("cpu"), b.cpu.clone().expect("cpu"));
        assert!((ca.total_percent - cb.total_percent).abs() <= 2.0 + 0.01);
        assert!((5.0..=95.0).contains(&cb.total_percent));
        let (da, db) = (&a.disk_io[0], &b.disk_io[0]);
        assert_eq!(db.read_bytes_total - da.read_bytes_total, db.read_bps as u64);
        assert_eq!(db.read_bytes_total % 512, da.read_bytes_total % 512, "sectors");
        assert_eq!(b.disk_read_bps, b.disk_io.iter().map(|d| d.read_bps).sum::<f64>());
        let m = b.memory.expect("memory");
        assert_eq!(m.used % 4096, 0);
        assert_eq!(m.total, m.used + m.available);
        // The same seed walks the same way.
        assert_eq!(Walk::new(7).sample(1, 1000), a);
    }
}
