//! What one stored row holds, computed once from a published update.

use serde::Serialize;
use sysmonstm_protocol::model::{DiskIo, DiskUsage, NetIo, ProcessInfo, Sample};

use super::metrics;
use crate::events::MachineUpdate;

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

/// For each machine in a batch, its newest update (for the `machines` table).
pub fn newest_per_machine(batch: &[std::sync::Arc<MachineUpdate>]) -> Vec<&MachineUpdate> {
    let mut newest: std::collections::HashMap<&str, &MachineUpdate> = std::collections::HashMap::new();
    for update in batch {
        let entry = newest.entry(update.machine_id()).or_insert(update);
        if update.latest.timestamp_ms > entry.latest.timestamp_ms {
            *entry = update;
        }
    }
    newest.into_values().collect()
}
