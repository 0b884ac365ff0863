//! Domain types shared by the agent and the hub, independent of protobuf.
//!
//! Their serde form is the JSON that the agent's `--once`, the hub's REST API
//! and its WebSocket speak: field names here are a public contract.

use serde::{Deserialize, Serialize};

use crate::labels::Labels;

/// Static facts about a machine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HostInfo {
    pub hostname: String,
    pub os: String,
    pub kernel: String,
    pub arch: String,
    pub cpu_model: String,
    /// Logical CPUs.
    pub cpu_cores: u32,
    /// Bytes.
    pub memory_total: u64,
    pub boot_time_ms: i64,
    /// Labels the agent was given (`--label`), and those of its token.
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub labels: Labels,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuStats {
    pub total_percent: f64,
    pub per_core_percent: Vec<f64>,
    pub user_percent: f64,
    pub system_percent: f64,
    pub iowait_percent: f64,
    pub steal_percent: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryStats {
    pub total: u64,
    pub used: u64,
    pub available: u64,
    pub percent: f64,
    pub swap_total: u64,
    pub swap_used: u64,
    pub swap_percent: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DiskUsage {
    pub mount_point: String,
    pub device: String,
    pub filesystem: String,
    pub total: u64,
    pub used: u64,
    pub free: u64,
    pub percent: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DiskIo {
    pub device: String,
    pub read_bps: f64,
    pub write_bps: f64,
    pub read_bytes_total: u64,
    pub write_bytes_total: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetIo {
    pub interface: String,
    pub rx_bps: f64,
    pub tx_bps: f64,
    pub rx_bytes_total: u64,
    pub tx_bytes_total: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadAvg {
    pub load1: f64,
    pub load5: f64,
    pub load15: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessInfo {
    pub pid: u32,
    pub name: String,
    /// Percent of one core, as top(1) shows it.
    pub cpu_percent: f64,
    /// Resident set size, bytes.
    pub rss: u64,
}

/// One reading of a machine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub seq: u64,
    /// When the agent took the sample, ms since the epoch.
    pub timestamp_ms: i64,
    pub cpu: CpuStats,
    pub memory: MemoryStats,
    pub disks: Vec<DiskUsage>,
    pub disk_io: Vec<DiskIo>,
    pub net: Vec<NetIo>,
    pub load: LoadAvg,
    pub process_count: u32,
    pub tcp_connections: u32,
    pub uptime_secs: u64,
    pub top_processes: Vec<ProcessInfo>,
    pub disk_read_bps: f64,
    pub disk_write_bps: f64,
    pub net_rx_bps: f64,
    pub net_tx_bps: f64,
    /// Collectors that failed while taking this sample.
    pub collector_errors: u32,
}

impl Sample {
    /// Usage of the fullest mount, percent (0 when the machine reports no disk).
    pub fn fullest_disk_percent(&self) -> f64 {
        self.disks.iter().map(|d| d.percent).fold(0.0, f64::max)
    }
}

/// Whether a machine is streaming samples right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MachineStatus {
    Online,
    Offline,
}

/// How a machine is doing, from its latest sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Ok,
    Warning,
    Critical,
}

/// Health thresholds, percent: a value strictly above the limit counts.
pub mod thresholds {
    pub const CPU_CRITICAL: f64 = 95.0;
    pub const MEMORY_CRITICAL: f64 = 95.0;
    pub const DISK_CRITICAL: f64 = 90.0;
    pub const CPU_WARNING: f64 = 80.0;
    pub const MEMORY_WARNING: f64 = 85.0;
    pub const DISK_WARNING: f64 = 80.0;
}

impl Health {
    /// Classifies by CPU, memory and fullest-disk percentages.
    pub fn classify(cpu: f64, memory: f64, disk: f64) -> Health {
        use thresholds::*;
        if cpu > CPU_CRITICAL || memory > MEMORY_CRITICAL || disk > DISK_CRITICAL {
            Health::Critical
        } else if cpu > CPU_WARNING || memory > MEMORY_WARNING || disk > DISK_WARNING {
            Health::Warning
        } else {
            Health::Ok
        }
    }
}

/// What the fleet overview shows of one machine (`GET /api/machines`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachineSummary {
    pub machine_id: String,
    pub hostname: String,
    pub status: MachineStatus,
    pub health: Health,
    /// When the hub last heard from the machine, ms since the epoch.
    pub last_seen: i64,
    /// When the agent took the latest sample, ms since the epoch.
    pub sample_ts: i64,
    pub cpu_percent: f64,
    pub cpu_cores: u32,
    pub memory_percent: f64,
    pub memory_total: u64,
    pub memory_used: u64,
    /// Fullest mount.
    pub disk_percent: f64,
    pub load1: f64,
    pub load5: f64,
    pub load15: f64,
    pub net_rx_bps: f64,
    pub net_tx_bps: f64,
    pub process_count: u32,
    /// The machine's labels: the agent's, with the hub's winning for a key.
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub labels: Labels,
    /// The name shown instead of the id, when an operator set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

impl MachineSummary {
    /// The summary of a machine from its host info and latest sample.
    pub fn new(machine_id: &str, host: &HostInfo, latest: &Sample, status: MachineStatus, last_seen: i64) -> Self {
        let disk_percent = latest.fullest_disk_percent();
        MachineSummary {
            machine_id: machine_id.to_owned(),
            hostname: host.hostname.clone(),
            status,
            health: Health::classify(latest.cpu.total_percent, latest.memory.percent, disk_percent),
            last_seen,
            sample_ts: latest.timestamp_ms,
            cpu_percent: latest.cpu.total_percent,
            cpu_cores: host.cpu_cores,
            memory_percent: latest.memory.percent,
            memory_total: latest.memory.total,
            memory_used: latest.memory.used,
            disk_percent,
            load1: latest.load.load1,
            load5: latest.load.load5,
            load15: latest.load.load15,
            net_rx_bps: latest.net_rx_bps,
            net_tx_bps: latest.net_tx_bps,
            process_count: latest.process_count,
            labels: host.labels.clone(),
            display_name: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_thresholds_are_strict() {
        assert_eq!(Health::classify(10.0, 10.0, 10.0), Health::Ok);
        assert_eq!(Health::classify(80.0, 85.0, 80.0), Health::Ok);
        assert_eq!(Health::classify(80.1, 0.0, 0.0), Health::Warning);
        assert_eq!(Health::classify(0.0, 85.5, 0.0), Health::Warning);
        assert_eq!(Health::classify(0.0, 0.0, 80.5), Health::Warning);
        assert_eq!(Health::classify(95.1, 0.0, 0.0), Health::Critical);
        assert_eq!(Health::classify(0.0, 95.1, 0.0), Health::Critical);
        assert_eq!(Health::classify(0.0, 0.0, 90.1), Health::Critical);
        assert_eq!(Health::classify(85.0, 90.0, 90.0), Health::Warning);
    }

    #[test]
    fn summary_takes_fullest_disk_and_json_names() {
        let mut sample = Sample { timestamp_ms: 42, ..Sample::default() };
        for (mount, percent) in [("/", 40.0), ("/data", 91.0)] {
            sample.disks.push(DiskUsage { mount_point: mount.into(), percent, ..Default::default() });
        }
        let host = HostInfo { hostname: "h".into(), cpu_cores: 8, ..Default::default() };
        let summary = MachineSummary::new("m1", &host, &sample, MachineStatus::Online, 50);
        assert_eq!(summary.disk_percent, 91.0);
        assert_eq!(summary.health, Health::Critical);
        let json = serde_json::to_value(&summary).expect("summary encodes");
        assert_eq!(json["status"], "online");
        assert_eq!(json["health"], "critical");
        assert_eq!(json["sample_ts"], 42);
        assert_eq!(json["cpu_cores"], 8);
    }
}
