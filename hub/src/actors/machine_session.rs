//! `MachineSession`: one supervised actor per machine.
//!
//! Holds the machine's host info, latest sample, a short ring of recent
//! points for live charts, its status and the last seq it holds per agent
//! instance. Applies samples from the gRPC stream, acks them, and publishes
//! [`MetricsReceived`] / [`MachineWentOffline`] on the broker.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_broker::BrokerIssue;
use slog::{debug, info, warn, Logger};
use sysmonstm_protocol::model::{HostInfo, MachineStatus, MachineSummary, Sample};

use crate::events::{
    AgentHello, AgentReply, AgentSender, MachineUpdate, MachineWentOffline, MetricsReceived, Persisted, StreamEnd,
};
use crate::liveness::{is_overdue, OFFLINE_CHECK_INTERVAL};
use crate::machine_settings::MachineSettings;
use crate::now_ms;
use crate::recent::{chart_point, ChartPoint, ChartRing};
use crate::store::KnownMachine;

/// Interval assumed until an agent says otherwise.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

/// The stream currently feeding this machine.
struct Connection {
    id: u64,
    tx: AgentSender,
}

pub struct MachineSession {
    machine_id: String,
    log: Logger,
    host: Arc<HostInfo>,
    /// Agent instance whose seqs `last_applied` and `last_durable` count.
    instance_id: Arc<str>,
    /// Highest seq applied (published) for `instance_id`.
    last_applied: u64,
    /// Highest seq of `instance_id` the store has committed: what Welcome and Acks say.
    last_durable: u64,
    interval: Duration,
    connection: Option<Connection>,
    status: MachineStatus,
    /// Latest state, as published (None until the first sample).
    current: Option<Arc<MachineUpdate>>,
    last_sample_at: Option<Instant>,
    recent: ChartRing,
    /// What operators set at the hub (labels, display name, interval).
    settings: MachineSettings,
    /// The offline check; cancelled when the machine is removed, so the
    /// session stops once nothing holds its address.
    offline_check: Option<SpawnHandle>,
}

impl MachineSession {
    pub fn new(machine_id: String, log: &Logger) -> Self {
        let log = log.new(slog::o!("machine_id" => machine_id.clone()));
        MachineSession {
            machine_id,
            log,
            host: Arc::new(HostInfo::default()),
            instance_id: Arc::from(""),
            last_applied: 0,
            last_durable: 0,
            interval: DEFAULT_INTERVAL,
            connection: None,
            status: MachineStatus::Offline,
            current: None,
            last_sample_at: None,
            recent: ChartRing::default(),
            settings: MachineSettings::default(),
            offline_check: None,
        }
    }

    /// A machine known from the store, offline until its agent reconnects.
    pub fn restored(known: KnownMachine, log: &Logger) -> Self {
        let mut session = MachineSession::new(known.machine_id.clone(), log);
        session.host = Arc::new(known.host);
        session.interval = known.settings.interval.unwrap_or(DEFAULT_INTERVAL);
        session.settings = known.settings;
        let latest = Arc::new(known.latest);
        let mut summary =
            MachineSummary::new(&known.machine_id, &session.host, &latest, MachineStatus::Offline, known.last_seen);
        session.settings.apply(&mut summary);
        session.current = Some(MachineUpdate::new(summary, session.instance_id.clone(), session.host.clone(), latest));
        session
    }

    /// The latest state, as published.
    pub fn current(&self) -> Option<Arc<MachineUpdate>> {
        self.current.clone()
    }

    /// Tells the agent everything up to `seq` is held durably. The one ack
    /// point of the hub, reached only from [`Persisted`] (after the commit).
    fn acknowledge(&self, seq: u64) {
        if let Some(conn) = &self.connection {
            // Acks are cumulative: if the queue is full, the next one covers this.
            let _ = conn.tx.try_send(AgentReply::Ack(seq));
        }
    }

    fn go_offline(&mut self, reason: &str) {
        if self.status == MachineStatus::Offline {
            return;
        }
        self.status = MachineStatus::Offline;
        info!(self.log, "machine offline"; "reason" => reason);
        if let Some(current) = &self.current {
            let update = current.with_status(MachineStatus::Offline);
            self.current = Some(update.clone());
            self.issue_system_async(MachineWentOffline(update));
        }
    }
}

impl Actor for MachineSession {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let check = ctx.run_interval(OFFLINE_CHECK_INTERVAL, |session, _| {
            let overdue = session.last_sample_at.is_some_and(|at| is_overdue(at.elapsed(), session.interval));
            if session.status == MachineStatus::Online && overdue {
                session.go_offline("no sample for 3 intervals");
            }
        });
        self.offline_check = Some(check);
    }
}

impl Supervised for MachineSession {
    fn restarting(&mut self, _: &mut Context<Self>) {
        warn!(self.log, "machine session restarting; the agent will reconnect");
        if let Some(conn) = self.connection.take() {
            let _ = conn.tx.try_send(AgentReply::End(StreamEnd::SessionRestarting));
        }
        self.status = MachineStatus::Offline;
    }
}

/// A stream for this machine said Hello. Answers what `Welcome` says.
#[derive(Message)]
#[rtype(result = "Attached")]
pub struct Attach {
    pub connection_id: u64,
    pub hello: AgentHello,
    /// What the store holds for this instance (read by the caller).
    pub stored_last_seq: u64,
    pub tx: AgentSender,
}

/// What the agent is told when its stream is attached.
#[derive(Debug, Clone, Copy, MessageResponse)]
pub struct Attached {
    /// The last seq held durably for the agent's instance (0 for a new instance).
    pub last_seq: u64,
    /// The interval an operator set for this machine, if any.
    pub interval: Option<Duration>,
}

impl Handler<Attach> for MachineSession {
    type Result = Attached;

    fn handle(&mut self, msg: Attach, _: &mut Context<Self>) -> Attached {
        if let Some(old) = self.connection.take() {
            let _ = old.tx.try_send(AgentReply::End(StreamEnd::Replaced));
            info!(self.log, "a newer connection replaces the current one");
        }
        let hello = msg.hello;
        if *self.instance_id != *hello.instance_id {
            debug!(self.log, "agent instance"; "instance_id" => &hello.instance_id);
            self.instance_id = Arc::from(hello.instance_id.as_str());
            self.last_applied = msg.stored_last_seq;
            self.last_durable = msg.stored_last_seq;
        } else {
            self.last_durable = self.last_durable.max(msg.stored_last_seq);
            self.last_applied = self.last_applied.max(self.last_durable);
        }
        if hello.dropped_samples > 0 {
            warn!(self.log, "agent dropped samples (its buffer was full)"; "dropped_total" => hello.dropped_samples);
        }
        self.host = Arc::new(hello.host);
        // An interval set at the hub wins: Welcome tells the agent, and
        // liveness follows it from now on.
        match self.settings.interval {
            Some(every) => self.interval = every,
            None if hello.interval_ms > 0 => self.interval = Duration::from_millis(u64::from(hello.interval_ms)),
            None => {}
        }
        self.connection = Some(Connection { id: msg.connection_id, tx: msg.tx });
        info!(self.log, "agent connected"; "agent_version" => &hello.agent_version, "last_seq" => self.last_durable,
            "interval_ms" => self.interval.as_millis() as u64);
        Attached { last_seq: self.last_durable, interval: self.settings.interval }
    }
}

/// One sample from the stream `connection_id`. Answers false when that
/// stream is no longer this machine's (replaced, or the session restarted;
/// the session has then ended that stream through its sender already).
#[derive(Message)]
#[rtype(result = "bool")]
pub struct Ingest {
    pub connection_id: u64,
    pub sample: Sample,
}

impl Handler<Ingest> for MachineSession {
    type Result = bool;

    fn handle(&mut self, msg: Ingest, _: &mut Context<Self>) -> bool {
        if self.connection.as_ref().map(|c| c.id) != Some(msg.connection_id) {
            return false;
        }
        let seq = msg.sample.seq;
        if seq <= self.last_applied {
            // Already held (committed, or waiting in the writer): store nothing.
            if self.last_durable > 0 {
                self.acknowledge(self.last_durable);
            }
            return true;
        }
        if seq > self.last_applied + 1 && self.last_applied > 0 {
            debug!(self.log, "seq gap (agent dropped samples)"; "from" => self.last_applied, "to" => seq);
        }
        self.last_applied = seq;
        self.last_sample_at = Some(Instant::now());
        self.status = MachineStatus::Online;
        self.recent.push(chart_point(&msg.sample));
        let latest = Arc::new(msg.sample);
        let mut summary = MachineSummary::new(&self.machine_id, &self.host, &latest, MachineStatus::Online, now_ms());
        self.settings.apply(&mut summary);
        let update = MachineUpdate::new(summary, self.instance_id.clone(), self.host.clone(), latest);
        self.current = Some(update.clone());
        self.issue_system_async(MetricsReceived(update));
        true
    }
}

/// The stream `connection_id` ended.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Detach {
    pub connection_id: u64,
}

impl Handler<Detach> for MachineSession {
    type Result = ();

    fn handle(&mut self, msg: Detach, _: &mut Context<Self>) {
        if self.connection.as_ref().map(|c| c.id) == Some(msg.connection_id) {
            self.connection = None;
            self.go_offline("stream closed");
        }
    }
}

impl Handler<Persisted> for MachineSession {
    type Result = ();

    fn handle(&mut self, msg: Persisted, _: &mut Context<Self>) {
        if msg.instance_id == self.instance_id && msg.seq > self.last_durable {
            self.last_durable = msg.seq;
            self.acknowledge(msg.seq);
        }
    }
}

/// Pushes a new sampling interval to the connected agent, live.
#[derive(Message)]
#[rtype(result = "bool")]
pub struct SetInterval(pub Duration);

impl Handler<SetInterval> for MachineSession {
    type Result = bool;

    fn handle(&mut self, msg: SetInterval, _: &mut Context<Self>) -> bool {
        self.interval = msg.0;
        let Some(conn) = &self.connection else {
            return false;
        };
        conn.tx.try_send(AgentReply::Interval(msg.0)).is_ok()
    }
}

/// New hub-side settings, for the samples from now on (the registry shows
/// them on the current state itself). A new interval goes to the
/// connected agent at once.
#[derive(Message)]
#[rtype(result = "()")]
pub struct UseSettings(pub MachineSettings);

impl Handler<UseSettings> for MachineSession {
    type Result = ();

    fn handle(&mut self, msg: UseSettings, ctx: &mut Context<Self>) {
        if let Some(current) = &self.current {
            self.current = Some(current.with_settings(&msg.0));
        }
        let retimed = msg.0.interval.filter(|every| self.settings.interval != Some(*every));
        self.settings = msg.0;
        if let Some(every) = retimed {
            info!(self.log, "sampling interval set at the hub"; "interval_ms" => every.as_millis() as u64);
            Handler::<SetInterval>::handle(self, SetInterval(every), ctx);
        }
    }
}

/// The machine was removed: its stream ends (the agent is told why), and
/// the session stops once the registry and the stream let go of it.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Retire;

impl Handler<Retire> for MachineSession {
    type Result = ();

    fn handle(&mut self, _: Retire, ctx: &mut Context<Self>) {
        if let Some(conn) = self.connection.take() {
            let _ = conn.tx.try_send(AgentReply::End(StreamEnd::Removed));
        }
        if let Some(check) = self.offline_check.take() {
            ctx.cancel_future(check);
        }
        self.status = MachineStatus::Offline;
        self.current = None;
        info!(self.log, "machine removed from the hub");
    }
}

/// The live-chart ring.
#[derive(Message)]
#[rtype(result = "Vec<ChartPoint>")]
pub struct GetRecent;

impl Handler<GetRecent> for MachineSession {
    type Result = MessageResult<GetRecent>;

    fn handle(&mut self, _: GetRecent, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.recent.points())
    }
}
