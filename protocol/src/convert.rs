//! Conversions between the domain [`model`](crate::model) and protobuf [`pb`](crate::pb).
//!
//! Protobuf leaves nested messages optional; a missing one converts to the
//! domain default (all zero), which is what an older peer that does not send it means.

use crate::model as m;
use crate::pb;

impl From<&m::HostInfo> for pb::HostInfo {
    fn from(h: &m::HostInfo) -> Self {
        pb::HostInfo {
            hostname: h.hostname.clone(),
            os: h.os.clone(),
            kernel: h.kernel.clone(),
            arch: h.arch.clone(),
            cpu_model: h.cpu_model.clone(),
            cpu_cores: h.cpu_cores,
            memory_total: h.memory_total,
            boot_time_ms: h.boot_time_ms,
            labels: h.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        }
    }
}

impl From<pb::HostInfo> for m::HostInfo {
    fn from(h: pb::HostInfo) -> Self {
        m::HostInfo {
            hostname: h.hostname,
            os: h.os,
            kernel: h.kernel,
            arch: h.arch,
            cpu_model: h.cpu_model,
            cpu_cores: h.cpu_cores,
            memory_total: h.memory_total,
            boot_time_ms: h.boot_time_ms,
            labels: h.labels.into_iter().collect(),
        }
    }
}

impl From<&m::Sample> for pb::Sample {
    fn from(s: &m::Sample) -> Self {
        let c = &s.cpu;
        let mem = &s.memory;
        pb::Sample {
            seq: s.seq,
            timestamp_ms: s.timestamp_ms,
            cpu: Some(pb::CpuStats {
                total_percent: c.total_percent,
                per_core_percent: c.per_core_percent.clone(),
                user_percent: c.user_percent,
                system_percent: c.system_percent,
                iowait_percent: c.iowait_percent,
                steal_percent: c.steal_percent,
            }),
            memory: Some(pb::MemoryStats {
                total: mem.total,
                used: mem.used,
                available: mem.available,
                percent: mem.percent,
                swap_total: mem.swap_total,
                swap_used: mem.swap_used,
                swap_percent: mem.swap_percent,
            }),
            disks: s
                .disks
                .iter()
                .map(|d| pb::DiskUsage {
                    mount_point: d.mount_point.clone(),
                    device: d.device.clone(),
                    filesystem: d.filesystem.clone(),
                    total: d.total,
                    used: d.used,
                    free: d.free,
                    percent: d.percent,
                })
                .collect(),
            disk_io: s
                .disk_io
                .iter()
                .map(|d| pb::DiskIo {
                    device: d.device.clone(),
                    read_bps: d.read_bps,
                    write_bps: d.write_bps,
                    read_bytes_total: d.read_bytes_total,
                    write_bytes_total: d.write_bytes_total,
                })
                .collect(),
            net: s
                .net
                .iter()
                .map(|n| pb::NetIo {
                    interface: n.interface.clone(),
                    rx_bps: n.rx_bps,
                    tx_bps: n.tx_bps,
                    rx_bytes_total: n.rx_bytes_total,
                    tx_bytes_total: n.tx_bytes_total,
                })
                .collect(),
            load: Some(pb::LoadAvg { load1: s.load.load1, load5: s.load.load5, load15: s.load.load15 }),
            process_count: s.process_count,
            tcp_connections: s.tcp_connections,
            uptime_secs: s.uptime_secs,
            top_processes: s
                .top_processes
                .iter()
                .map(|p| pb::ProcessInfo { pid: p.pid, name: p.name.clone(), cpu_percent: p.cpu_percent, rss: p.rss })
                .collect(),
            disk_read_bps: s.disk_read_bps,
            disk_write_bps: s.disk_write_bps,
            net_rx_bps: s.net_rx_bps,
            net_tx_bps: s.net_tx_bps,
            collector_errors: s.collector_errors,
        }
    }
}

impl From<pb::Sample> for m::Sample {
    fn from(s: pb::Sample) -> Self {
        let c = s.cpu.unwrap_or_default();
        let mem = s.memory.unwrap_or_default();
        let load = s.load.unwrap_or_default();
        m::Sample {
            seq: s.seq,
            timestamp_ms: s.timestamp_ms,
            cpu: m::CpuStats {
                total_percent: c.total_percent,
                per_core_percent: c.per_core_percent,
                user_percent: c.user_percent,
                system_percent: c.system_percent,
                iowait_percent: c.iowait_percent,
                steal_percent: c.steal_percent,
            },
            memory: m::MemoryStats {
                total: mem.total,
                used: mem.used,
                available: mem.available,
                percent: mem.percent,
                swap_total: mem.swap_total,
                swap_used: mem.swap_used,
                swap_percent: mem.swap_percent,
            },
            disks: s
                .disks
                .into_iter()
                .map(|d| m::DiskUsage {
                    mount_point: d.mount_point,
                    device: d.device,
                    filesystem: d.filesystem,
                    total: d.total,
                    used: d.used,
                    free: d.free,
                    percent: d.percent,
                })
                .collect(),
            disk_io: s
                .disk_io
                .into_iter()
                .map(|d| m::DiskIo {
                    device: d.device,
                    read_bps: d.read_bps,
                    write_bps: d.write_bps,
                    read_bytes_total: d.read_bytes_total,
                    write_bytes_total: d.write_bytes_total,
                })
                .collect(),
            net: s
                .net
                .into_iter()
                .map(|n| m::NetIo {
                    interface: n.interface,
                    rx_bps: n.rx_bps,
                    tx_bps: n.tx_bps,
                    rx_bytes_total: n.rx_bytes_total,
                    tx_bytes_total: n.tx_bytes_total,
                })
                .collect(),
            load: m::LoadAvg { load1: load.load1, load5: load.load5, load15: load.load15 },
            process_count: s.process_count,
            tcp_connections: s.tcp_connections,
            uptime_secs: s.uptime_secs,
            top_processes: s
                .top_processes
                .into_iter()
                .map(|p| m::ProcessInfo { pid: p.pid, name: p.name, cpu_percent: p.cpu_percent, rss: p.rss })
                .collect(),
            disk_read_bps: s.disk_read_bps,
            disk_write_bps: s.disk_write_bps,
            net_rx_bps: s.net_rx_bps,
            net_tx_bps: s.net_tx_bps,
            collector_errors: s.collector_errors,
        }
    }
}

impl From<&m::MachineSummary> for pb::MachineSummary {
    fn from(s: &m::MachineSummary) -> Self {
        pb::MachineSummary {
            machine_id: s.machine_id.clone(),
            hostname: s.hostname.clone(),
            status: match s.status {
                m::MachineStatus::Online => pb::MachineStatus::Online,
                m::MachineStatus::Offline => pb::MachineStatus::Offline,
            } as i32,
            health: match s.health {
                m::Health::Ok => pb::Health::Ok,
                m::Health::Warning => pb::Health::Warning,
                m::Health::Critical => pb::Health::Critical,
            } as i32,
            last_seen_ms: s.last_seen,
            sample_ts_ms: s.sample_ts,
            cpu_percent: s.cpu_percent,
            cpu_cores: s.cpu_cores,
            memory_percent: s.memory_percent,
            memory_total: s.memory_total,
            memory_used: s.memory_used,
            disk_percent: s.disk_percent,
            load1: s.load1,
            load5: s.load5,
            load15: s.load15,
            net_rx_bps: s.net_rx_bps,
            net_tx_bps: s.net_tx_bps,
            process_count: s.process_count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_round_trips() {
        let sample = m::Sample {
            seq: 7,
            timestamp_ms: 1_700_000_000_000,
            cpu: m::CpuStats { total_percent: 12.5, per_core_percent: vec![10.0, 15.0], ..Default::default() },
            disks: vec![m::DiskUsage { mount_point: "/".into(), percent: 50.0, ..Default::default() }],
            top_processes: vec![m::ProcessInfo { pid: 1, name: "init".into(), cpu_percent: 0.5, rss: 4096 }],
            load: m::LoadAvg { load1: 1.0, load5: 0.5, load15: 0.25 },
            ..Default::default()
        };
        let wire = pb::Sample::from(&sample);
        assert_eq!(m::Sample::from(wire), sample);
    }

    #[test]
    fn missing_nested_messages_are_zero() {
        let sample = m::Sample::from(pb::Sample { seq: 3, ..Default::default() });
        assert_eq!(sample.seq, 3);
        assert_eq!(sample.cpu, m::CpuStats::default());
        assert_eq!(sample.load, m::LoadAvg::default());
    }
}
