//! What one stored row holds, computed once from a published update.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use sysmonstm_protocol::model::{DiskIo, DiskUsage, NetIo, ProcessInfo, Sample};

use crate::events::MachineUpdate;
use crate::metrics;

/// The `detail` column: everything of a sample that is not a summary column.
#[derive(Serialize)]
pub struct Detail<'a> {
    pub per_core_percent: &'a [f64],
    pub user_percent: f64,
    pub system_percent: f64,
    pub iowait_percent: f64,
    pub steal_percent: f64,
    pub disks: &'a [DiskUsage],
    pub disk_io: &'a [DiskIo],
    pub net: &'a [NetIo],
    pub top_processes: &'a [ProcessInfo],
    pub uptime_secs: u64,
}

impl<'a> Detail<'a> {
    pub fn of(s: &'a Sample) -> Self {
        Detail {
            per_core_percent: &s.cpu.per_core_percent,
            user_percent: s.cpu.user_percent,
            system_percent: s.cpu.system_percent,
            iowait_percent: s.cpu.iowait_percent,
            steal_percent: s.cpu.steal_percent,
            disks: &s.disks,
            disk_io: &s.disk_io,
            net: &s.net,
            top_processes: &s.top_processes,
            uptime_secs: s.uptime_secs,
        }
    }
}

/// The `detail` column read back, from a version-1 wide row.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct StoredDetail {
    per_core_percent: Vec<f64>,
    user_percent: f64,
    system_percent: f64,
    iowait_percent: f64,
    steal_percent: f64,
    disks: Vec<DiskUsage>,
    disk_io: Vec<DiskIo>,
    net: Vec<NetIo>,
    top_processes: Vec<ProcessInfo>,
    uptime_secs: u64,
}

/// The sample a version-1 wide row was written from, as far as the row
/// kept it: `values` are its metric columns in `METRICS` order (the derived
/// ones, fullest disk and load per core, follow from the rest).
pub fn sample_of_row(seq: u64, ts: i64, values: &[Option<f64>], detail: &str) -> Result<Sample, serde_json::Error> {
    let d: StoredDetail = serde_json::from_str(detail)?;
    let at = |name: &str| {
        metrics::METRICS
            .iter()
            .position(|m| m.name == name)
            .and_then(|i| values.get(i).copied().flatten())
            .unwrap_or(0.0)
    };
    let mut s = Sample { seq, timestamp_ms: ts, ..Sample::default() };
    s.cpu.total_percent = at("cpu_percent");
    s.cpu.per_core_percent = d.per_core_percent;
    s.cpu.user_percent = d.user_percent;
    s.cpu.system_percent = d.system_percent;
    s.cpu.iowait_percent = d.iowait_percent;
    s.cpu.steal_percent = d.steal_percent;
    s.memory.percent = at("memory_percent");
    s.memory.used = at("memory_used").max(0.0) as u64;
    s.memory.swap_percent = at("swap_percent");
    s.load.load1 = at("load1");
    s.load.load5 = at("load5");
    s.load.load15 = at("load15");
    s.net_rx_bps = at("net_rx_bps");
    s.net_tx_bps = at("net_tx_bps");
    s.disk_read_bps = at("disk_read_bps");
    s.disk_write_bps = at("disk_write_bps");
    s.process_count = at("process_count").max(0.0) as u32;
    s.tcp_connections = at("tcp_connections").max(0.0) as u32;
    s.disks = d.disks;
    s.disk_io = d.disk_io;
    s.net = d.net;
    s.top_processes = d.top_processes;
    s.uptime_secs = d.uptime_secs;
    Ok(s)
}

/// A row ready for either backend.
pub struct Row<'a> {
    pub update: &'a MachineUpdate,
    pub values: Vec<f64>,
    pub detail: String,
}

impl<'a> Row<'a> {
    pub fn new(update: &'a MachineUpdate) -> Self {
        let detail = serde_json::to_string(&Detail::of(&update.latest)).unwrap_or_else(|_| "{}".into());
        Row { update, values: metrics::values(&update.latest, &update.host), detail }
    }
}

/// How stale a machine's row (`machines.latest`, `last_seen`) may get while
/// its agent streams. The row is read only at start-up (known machines and
/// their last values), so rewriting it, with a JSON encode of the whole
/// sample, for every sample would be half the storage work for nothing.
pub const MACHINE_REFRESH_MS: i64 = 10_000;

/// Which machine rows a batch must rewrite: those never written by this
/// store, written for another agent instance (host info may have changed),
/// or older than [`MACHINE_REFRESH_MS`].
/// Rows skipped that way are kept ([`MachineRefresh::take_stale`]) and
/// written when the hub stops, so a restart shows the exact last values.
#[derive(Debug, Default)]
pub struct MachineRefresh {
    state: Mutex<RefreshState>,
}

#[derive(Debug, Default)]
struct RefreshState {
    /// machine_id -> (instance, sample time) of the row last committed.
    written: HashMap<String, (Arc<str>, i64)>,
    /// Newest committed sample per machine whose row was not rewritten.
    stale: HashMap<String, Arc<MachineUpdate>>,
}

/// What one batch does to the machine rows.
pub struct Refresh<'a> {
    /// Rows to write with this batch.
    pub due: Vec<&'a Arc<MachineUpdate>>,
    /// Newest updates whose rows wait.
    skipped: Vec<&'a Arc<MachineUpdate>>,
}

impl MachineRefresh {
    fn state(&self) -> std::sync::MutexGuard<'_, RefreshState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Splits the newest update of each machine in `batch` into rows due now and rows that wait.
    pub fn plan<'a>(&self, batch: &'a [Arc<MachineUpdate>]) -> Refresh<'a> {
        let state = self.state();
        let (due, skipped) =
            newest_per_machine(batch).into_iter().partition(|u| match state.written.get(u.machine_id()) {
                None => true,
                Some((instance, ts)) => *instance != u.instance_id || u.latest.timestamp_ms - ts >= MACHINE_REFRESH_MS,
            });
        Refresh { due, skipped }
    }

    /// Records a committed batch.
    pub fn committed(&self, refresh: &Refresh) {
        let mut state = self.state();
        for u in &refresh.due {
            state.written.insert(u.machine_id().to_owned(), (u.instance_id.clone(), u.latest.timestamp_ms));
            state.stale.remove(u.machine_id());
        }
        for u in &refresh.skipped {
            let newer = state.stale.get(u.machine_id()).is_none_or(|s| s.latest.timestamp_ms < u.latest.timestamp_ms);
            if newer {
                state.stale.insert(u.machine_id().to_owned(), Arc::clone(u));
            }
        }
    }

    /// A machine was forgotten: no row of it is due or waiting.
    pub fn forget(&self, machine_id: &str) {
        let mut state = self.state();
        state.written.remove(machine_id);
        state.stale.remove(machine_id);
    }

    /// The rows left stale, to write now (they count as written).
    pub fn take_stale(&self) -> Vec<Arc<MachineUpdate>> {
        let mut state = self.state();
        let stale: Vec<_> = std::mem::take(&mut state.stale).into_values().collect();
        for u in &stale {
            state.written.insert(u.machine_id().to_owned(), (u.instance_id.clone(), u.latest.timestamp_ms));
        }
        stale
    }
}

/// For each machine in a batch, its newest update (for the `machines` table).
pub fn newest_per_machine(batch: &[Arc<MachineUpdate>]) -> Vec<&Arc<MachineUpdate>> {
    let mut newest: HashMap<&str, &Arc<MachineUpdate>> = HashMap::new();
    for update in batch {
        let entry = newest.entry(update.machine_id()).or_insert(update);
        if update.latest.timestamp_ms > entry.latest.timestamp_ms {
            *entry = update;
        }
    }
    newest.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_one_row_reads_back_as_its_sample() {
        use sysmonstm_protocol::model::{CpuStats, HostInfo, LoadAvg, MemoryStats};
        let sample = Sample {
            seq: 7,
            timestamp_ms: 1000,
            cpu: CpuStats {
                total_percent: 12.5,
                per_core_percent: vec![10.0, 15.0],
                user_percent: 9.0,
                ..Default::default()
            },
            memory: MemoryStats { used: 4096, percent: 50.0, swap_percent: 1.5, ..Default::default() },
            disks: vec![DiskUsage { mount_point: "/".into(), percent: 40.0, ..Default::default() }],
            load: LoadAvg { load1: 2.0, load5: 1.0, load15: 0.5 },
            process_count: 120,
            tcp_connections: 9,
            uptime_secs: 99,
            net_rx_bps: 1500.0,
            ..Default::default()
        };
        let host = HostInfo { cpu_cores: 2, ..Default::default() };
        let values: Vec<Option<f64>> = metrics::values(&sample, &host).into_iter().map(Some).collect();
        let detail = serde_json::to_string(&Detail::of(&sample)).expect("json");
        let back = sample_of_row(7, 1000, &values, &detail).expect("row");
        assert_eq!(back, sample);
        assert_eq!(metrics::values(&back, &host), metrics::values(&sample, &host), "every column the same");
        assert!(sample_of_row(1, 1, &values, "not json").is_err());
    }
    use sysmonstm_protocol::model::{HostInfo, MachineStatus, MachineSummary};

    fn update(id: &str, instance: &str, ts: i64) -> Arc<MachineUpdate> {
        let host = Arc::new(HostInfo::default());
        let latest = Arc::new(Sample { timestamp_ms: ts, ..Sample::default() });
        let summary = MachineSummary::new(id, &host, &latest, MachineStatus::Online, ts);
        MachineUpdate::new(summary, Arc::from(instance), host, latest)
    }

    fn ids(updates: &[&Arc<MachineUpdate>]) -> Vec<String> {
        let mut ids: Vec<String> =
            updates.iter().map(|u| format!("{}@{}", u.machine_id(), u.latest.timestamp_ms)).collect();
        ids.sort();
        ids
    }

    #[test]
    fn rows_are_rewritten_every_refresh_period_and_on_a_new_instance() {
        let refresh = MachineRefresh::default();
        let first = vec![update("a", "i1", 1_000), update("a", "i1", 2_000), update("b", "i1", 1_000)];
        let plan = refresh.plan(&first);
        assert_eq!(ids(&plan.due), vec!["a@2000", "b@1000"], "new machines, newest sample");
        refresh.committed(&plan);

        let second = vec![update("a", "i1", 5_000), update("b", "i2", 1_500), update("c", "i1", 1)];
        let plan = refresh.plan(&second);
        assert_eq!(ids(&plan.due), vec!["b@1500", "c@1"], "a is fresh enough; b has a new instance");
        refresh.committed(&plan);

        let third = vec![update("a", "i1", 2_000 + MACHINE_REFRESH_MS)];
        let plan = refresh.plan(&third);
        assert_eq!(ids(&plan.due), vec![format!("a@{}", 2_000 + MACHINE_REFRESH_MS)]);
    }

    #[test]
    fn skipped_rows_are_written_at_the_end() {
        let refresh = MachineRefresh::default();
        let first = [update("a", "i1", 1_000)];
        let plan = refresh.plan(&first);
        refresh.committed(&plan);
        for ts in [3_000, 2_000] {
            let batch = vec![update("a", "i1", ts)];
            let plan = refresh.plan(&batch);
            assert!(plan.due.is_empty());
            refresh.committed(&plan);
        }
        let stale = refresh.take_stale();
        assert_eq!(stale.iter().map(|u| u.latest.timestamp_ms).collect::<Vec<_>>(), vec![3_000], "the newest waits");
        assert!(refresh.take_stale().is_empty());
    }
}
