//! What the hub's parts tell each other, as domain types (no wire format):
//! broker facts (past tense: a session applied a sample, a machine went
//! offline, an alert changed), the viewers' live channel and its events, and
//! what an agent's stream and its machine session say to each other (the
//! checked Hello in, acks / interval changes / an end out). Cheap to clone:
//! payloads are `Arc`s.

use std::sync::Arc;
use std::time::Duration;

use actix::Message;
use serde_json::value::RawValue;
use sysmonstm_protocol::model::{HostInfo, MachineStatus, MachineSummary, Sample};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::alerts::channel::Channel;
use crate::alerts::engine::Alert;
use crate::alerts::rule::Rule;
use crate::machine_settings::MachineSettings;

/// A machine's state after a change, with its summary encoded to JSON once
/// so that every browser session shares the same bytes.
#[derive(Debug)]
pub struct MachineUpdate {
    pub summary: MachineSummary,
    /// Agent instance that took `latest` (its seqs are counted per instance).
    pub instance_id: Arc<str>,
    /// `summary` as JSON, encoded once (frames carry it as it is).
    pub summary_json: Box<RawValue>,
    pub host: Arc<HostInfo>,
    pub latest: Arc<Sample>,
}

impl MachineUpdate {
    pub fn new(summary: MachineSummary, instance_id: Arc<str>, host: Arc<HostInfo>, latest: Arc<Sample>) -> Arc<Self> {
        // A summary is strings and numbers: encoding it cannot fail.
        let summary_json = serde_json::value::to_raw_value(&summary).unwrap_or_else(|e| {
            RawValue::from_string(serde_json::json!({ "machine_id": null, "error": e.to_string() }).to_string())
                .unwrap_or_default()
        });
        Arc::new(MachineUpdate { summary, instance_id, summary_json, host, latest })
    }

    pub fn machine_id(&self) -> &str {
        &self.summary.machine_id
    }

    /// The same machine as hub-side `settings` show it.
    pub fn with_settings(&self, settings: &MachineSettings) -> Arc<Self> {
        let mut summary = self.summary.clone();
        settings.reapply(&mut summary, &self.host);
        MachineUpdate::new(summary, self.instance_id.clone(), self.host.clone(), self.latest.clone())
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

/// A machine was removed from the hub (`DELETE /api/machines/{id}`): its
/// alerts resolve, and the storage writer forgets it in the store after
/// the rows it still holds of it (its session is retired before this is
/// issued, so every sample it published comes first).
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct MachineRemoved {
    pub machine_id: String,
    /// Delete its history too.
    pub purge_history: bool,
    /// Told the outcome of the store's first attempt.
    pub forgotten: Forgotten,
}

/// Another hub (through Redis) removed a machine: this hub forgets it too,
/// unless its agent streams here.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct RemoteMachineRemoved {
    pub machine_id: String,
}

/// Where the storage writer tells the outcome of forgetting a machine
/// (once; an error is retried by the writer, and said here first).
#[derive(Debug, Clone)]
pub struct Forgotten(Arc<std::sync::Mutex<Option<ForgetReply>>>);

/// The storage writer's word on forgetting a machine (an error as text).
type ForgetReply = oneshot::Sender<Result<(), String>>;

impl Forgotten {
    pub fn channel() -> (Forgotten, oneshot::Receiver<Result<(), String>>) {
        let (tx, rx) = oneshot::channel();
        (Forgotten(Arc::new(std::sync::Mutex::new(Some(tx)))), rx)
    }

    /// Says the outcome, the first time only.
    pub fn tell(&self, outcome: Result<(), String>) {
        let sender = self.0.lock().ok().and_then(|mut slot| slot.take());
        if let Some(sender) = sender {
            let _ = sender.send(outcome);
        }
    }
}

/// The notification channels changed (one was made, changed or deleted):
/// every channel as it now is, by id, secrets included.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct ChannelsChanged(pub Arc<std::collections::HashMap<String, Arc<Channel>>>);

/// A rule was made or changed (the notifier keeps repeats and groups of
/// its firing alerts in step).
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct RuleChanged(pub Arc<Rule>);

/// An alert fired or resolved, or a firing alert was silenced, unsilenced
/// or acknowledged, with the rule as it was then.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct AlertChanged {
    pub alert: Arc<Alert>,
    pub rule: Option<Arc<Rule>>,
}

/// What viewers (browser sessions, gRPC `Watch`, the relay link) receive.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    /// A machine's accepted state, local or remote.
    Machine(Arc<MachineUpdate>),
    /// `{"type":"alert","alert":{…}}`, encoded once and ready to send.
    Alert(Arc<str>),
    /// A machine was removed: viewers drop it, and whatever of it they
    /// still hold back.
    Removed(Arc<str>),
}

/// The viewers' broadcast channel: each event is delivered once however
/// many viewers read it, and a viewer that falls behind loses only its own
/// place (`Lagged`).
pub type LiveSender = broadcast::Sender<LiveEvent>;

/// What an agent said in its Hello, checked (see `grpc::validate`).
#[derive(Debug, Clone)]
pub struct AgentHello {
    pub machine_id: String,
    pub instance_id: String,
    pub host: HostInfo,
    pub agent_version: String,
    /// The agent's sampling interval; 0 when it did not say.
    pub interval_ms: u32,
    /// Samples the agent dropped (buffer full) since it started.
    pub dropped_samples: u64,
}

/// What a machine session says to the agent streaming to it. The gRPC
/// edge turns each into a protobuf message or a status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentReply {
    /// Every sample up to this seq is held durably.
    Ack(u64),
    /// Sample at this interval from now on.
    Interval(Duration),
    /// This stream is no longer the machine's: the agent should reconnect.
    End(StreamEnd),
}

/// Why a session ended its agent's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd {
    /// A newer stream for the same machine id took over.
    Replaced,
    /// The session failed and is restarting under its supervisor.
    SessionRestarting,
    /// The machine was removed from the hub.
    Removed,
}

/// Where a session's replies to one agent stream go.
pub type AgentSender = mpsc::Sender<AgentReply>;
