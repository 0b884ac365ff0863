//! Broker messages: past-tense facts that machine sessions publish and the
//! fan-out (and later storage and alerting) subscribe to. Cheap to clone:
//! the payload is one `Arc`.

use std::sync::Arc;

use actix::Message;
use sysmonstm_protocol::model::{HostInfo, MachineStatus, MachineSummary, Sample};

/// A machine's state after a change, with its summary encoded to JSON once
/// so that every browser session shares the same bytes.
#[derive(Debug)]
pub struct MachineUpdate {
    pub summary: MachineSummary,
    /// Agent instance that took `latest` (its seqs are counted per instance).
    pub instance_id: Arc<str>,
    /// `summary` as JSON, encoded once.
    pub summary_json: Box<str>,
    pub host: Arc<HostInfo>,
    pub latest: Arc<Sample>,
}

impl MachineUpdate {
    pub fn new(summary: MachineSummary, instance_id: Arc<str>, host: Arc<HostInfo>, latest: Arc<Sample>) -> Arc<Self> {
        let summary_json = serde_json::to_string(&summary)
            .unwrap_or_else(|e| format!("{{\"machine_id\":null,\"error\":\"{e}\"}}"))
            .into_boxed_str();
        Arc::new(MachineUpdate { summary, instance_id, summary_json, host, latest })
    }

    pub fn machine_id(&self) -> &str {
        &self.summary.machine_id
    }

    /// The same machine with a new status (and when it was last heard from).
    pub fn with_status(&self, status: MachineStatus) -> Arc<Self> {
        let summary = MachineSummary { status, ..self.summary.clone() };
        MachineUpdate::new(summary, self.instance_id.clone(), self.host.clone(), self.latest.clone())
    }
}

/// A machine session applied a new sample.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct MetricsReceived(pub Arc<MachineUpdate>);

/// A machine stopped streaming (stream closed, or samples overdue).
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct MachineWentOffline(pub Arc<MachineUpdate>);

/// The storage writer committed every sample of `instance_id` up to `seq`.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct Persisted {
    pub machine_id: String,
    pub instance_id: Arc<str>,
    pub seq: u64,
}

/// Another hub (through Redis) reported the state of a machine it holds.
/// Only the registry takes it: storage and alerting never see remote
/// machines, so each sample is written and evaluated once, by its hub.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct RemoteMachineUpdated {
    pub hub: Arc<str>,
    pub update: Arc<MachineUpdate>,
}
