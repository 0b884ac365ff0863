//! `MachineRegistry`: machine_id -> its `MachineSession`.
//!
//! Starts each session under `actix::Supervisor` on one of a small pool of
//! arbiters (one per core, round robin), so machine work spreads over every
//! core. Keeps the latest published state of every machine (from the broker)
//! to answer list and get queries without asking each session, and hands
//! every state it accepts to the viewers' broadcast (browsers, `Watch`,
//! the relay link).
//!
//! With Redis, machines other hubs hold arrive as [`RemoteMachineUpdated`]:
//! the registry keeps their state and live-chart ring itself (no session),
//! lets the newest sample win when a machine moves between hubs, and marks
//! them offline when their hub stops reporting them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_broker::{BrokerIssue, BrokerSubscribe};
use slog::Logger;

use sysmonstm_protocol::model::MachineStatus;
use sysmonstm_viewer::newest;

use super::machine_session::{GetRecent, MachineSession, Retire, UseSettings};
use crate::events::{Forgotten, LiveEvent, LiveSender, MachineRemoved};
use crate::events::{MachineUpdate, MachineWentOffline, MetricsReceived, Persisted, RemoteMachineUpdated};
use crate::field_error::FieldError;
use crate::liveness::{is_overdue, OFFLINE_CHECK_INTERVAL};
use crate::machine_settings::MachineSettings;
use crate::recent::{chart_point, ChartPoint, ChartRing};
use crate::store::KnownMachine;

/// Interval assumed for a remote machine until two of its samples are seen.
const REMOTE_DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

/// A machine another hub holds.
struct RemoteMachine {
    hub: Arc<str>,
    recent: ChartRing,
    heard_at: Instant,
}

pub struct MachineRegistry {
    log: Logger,
    arbiters: Vec<ArbiterHandle>,
    next_arbiter: usize,
    sessions: HashMap<String, Addr<MachineSession>>,
    /// Latest accepted state per machine, local or remote.
    latest: HashMap<String, Arc<MachineUpdate>>,
    /// Machines whose current state comes from another hub.
    remote: HashMap<String, RemoteMachine>,
    /// Hub-side settings of the machines that have any.
    settings: HashMap<String, MachineSettings>,
    live: LiveSender,
}

impl MachineRegistry {
    /// A registry spreading sessions over `arbiters` (the current one when
    /// empty), starting with the machines the store knows (offline).
    pub fn new(arbiters: Vec<ArbiterHandle>, known: Vec<KnownMachine>, live: LiveSender, log: Logger) -> Self {
        let mut registry = MachineRegistry {
            log,
            arbiters,
            next_arbiter: 0,
            sessions: HashMap::new(),
            latest: HashMap::new(),
            remote: HashMap::new(),
            settings: HashMap::new(),
            live,
        };
        for machine in known {
            let id = machine.machine_id.clone();
            if !machine.settings.is_empty() {
                registry.settings.insert(id.clone(), machine.settings.clone());
            }
            let session = MachineSession::restored(machine, &registry.log);
            if let Some(current) = session.current() {
                registry.latest.insert(id.clone(), current);
            }
            let addr = registry.start_session(session);
            registry.sessions.insert(id, addr);
        }
        registry
    }

    fn start_session(&mut self, session: MachineSession) -> Addr<MachineSession> {
        let make = move |_: &mut Context<MachineSession>| session;
        if self.arbiters.is_empty() {
            return Supervisor::start(make);
        }
        let arbiter = &self.arbiters[self.next_arbiter % self.arbiters.len()];
        self.next_arbiter = self.next_arbiter.wrapping_add(1);
        Supervisor::start_in_arbiter(arbiter, make)
    }

    /// Whether a session of this hub holds the machine (a removed
    /// machine's retiring session may still publish a last sample).
    fn is_local(&self, machine_id: &str) -> bool {
        self.sessions.contains_key(machine_id)
    }

    /// Records `update` as the machine's state and shows it to viewers.
    fn accept(&mut self, update: Arc<MachineUpdate>) {
        self.latest.insert(update.machine_id().to_owned(), update.clone());
        // No receiver is not an error: nobody is watching.
        let _ = self.live.send(LiveEvent::Machine(update));
    }

    /// Whether a remote state may replace what the registry holds: it must
    /// not be older, and must be newer than a machine streaming here.
    fn remote_wins(&self, update: &MachineUpdate) -> bool {
        let current = self.latest.get(update.machine_id());
        let live_here = current.is_some_and(|c| {
            !self.remote.contains_key(update.machine_id()) && c.summary.status == MachineStatus::Online
        });
        newest::replaces(current.map(|c| c.summary.sample_ts), update.summary.sample_ts, live_here)
    }

    /// Marks remote machines offline whose hub stopped reporting them.
    fn expire_remote(&mut self) {
        let overdue: Vec<Arc<MachineUpdate>> = self
            .remote
            .iter()
            .filter(|(_, m)| is_overdue(m.heard_at.elapsed(), m.recent.last_gap().unwrap_or(REMOTE_DEFAULT_INTERVAL)))
            .filter_map(|(id, _)| self.latest.get(id))
            .filter(|u| u.summary.status == MachineStatus::Online)
            .map(|u| u.with_status(MachineStatus::Offline))
            .collect();
        for update in overdue {
            self.accept(update);
        }
    }
}

impl Actor for MachineRegistry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.subscribe_system_async::<MetricsReceived>(ctx);
        self.subscribe_system_async::<MachineWentOffline>(ctx);
        self.subscribe_system_async::<RemoteMachineUpdated>(ctx);
        ctx.run_interval(OFFLINE_CHECK_INTERVAL, |registry, _| registry.expire_remote());
    }
}

impl Handler<MetricsReceived> for MachineRegistry {
    type Result = ();

    fn handle(&mut self, msg: MetricsReceived, _: &mut Context<Self>) {
        if !self.is_local(msg.0.machine_id()) {
            return;
        }
        // A machine streaming here is this hub's, whatever others said.
        self.remote.remove(msg.0.machine_id());
        self.accept(msg.0);
    }
}

impl Handler<MachineWentOffline> for MachineRegistry {
    type Result = ();

    fn handle(&mut self, msg: MachineWentOffline, _: &mut Context<Self>) {
        // The machine may stream to another hub by now: then that state stands.
        if self.is_local(msg.0.machine_id()) && !self.remote.contains_key(msg.0.machine_id()) {
            self.accept(msg.0);
        }
    }
}

impl Handler<RemoteMachineUpdated> for MachineRegistry {
    type Result = ();

    fn handle(&mut self, msg: RemoteMachineUpdated, _: &mut Context<Self>) {
        if !self.remote_wins(&msg.update) {
            return;
        }
        let id = msg.update.machine_id().to_owned();
        let remote = self.remote.entry(id).or_insert_with(|| RemoteMachine {
            hub: msg.hub.clone(),
            recent: ChartRing::default(),
            heard_at: Instant::now(),
        });
        remote.hub = msg.hub;
        remote.heard_at = Instant::now();
        remote.recent.push(chart_point(&msg.update.latest));
        self.accept(msg.update);
    }
}

impl Handler<Persisted> for MachineRegistry {
    type Result = ();

    fn handle(&mut self, msg: Persisted, _: &mut Context<Self>) {
        if let Some(session) = self.sessions.get(&msg.machine_id) {
            session.do_send(msg);
        }
    }
}

/// The session of `machine_id`, started if there is none.
#[derive(Message)]
#[rtype(result = "Addr<MachineSession>")]
pub struct OpenSession(pub String);

impl Handler<OpenSession> for MachineRegistry {
    type Result = MessageResult<OpenSession>;

    fn handle(&mut self, msg: OpenSession, _: &mut Context<Self>) -> Self::Result {
        if let Some(addr) = self.sessions.get(&msg.0).filter(|a| a.connected()) {
            return MessageResult(addr.clone());
        }
        let addr = self.start_session(MachineSession::new(msg.0.clone(), &self.log));
        self.sessions.insert(msg.0, addr.clone());
        MessageResult(addr)
    }
}

/// Every machine with at least one sample, ordered by machine_id.
#[derive(Message)]
#[rtype(result = "Vec<Arc<MachineUpdate>>")]
pub struct ListMachines;

impl Handler<ListMachines> for MachineRegistry {
    type Result = MessageResult<ListMachines>;

    fn handle(&mut self, _: ListMachines, _: &mut Context<Self>) -> Self::Result {
        let mut all: Vec<_> = self.latest.values().cloned().collect();
        all.sort_by(|a, b| a.machine_id().cmp(b.machine_id()));
        MessageResult(all)
    }
}

/// One machine's latest state.
#[derive(Message)]
#[rtype(result = "Option<Arc<MachineUpdate>>")]
pub struct GetMachine(pub String);

impl Handler<GetMachine> for MachineRegistry {
    type Result = MessageResult<GetMachine>;

    fn handle(&mut self, msg: GetMachine, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.latest.get(&msg.0).cloned())
    }
}

/// The session of a machine streaming (or once streamed) to this hub.
#[derive(Message)]
#[rtype(result = "Option<Addr<MachineSession>>")]
pub struct FindSession(pub String);

impl Handler<FindSession> for MachineRegistry {
    type Result = MessageResult<FindSession>;

    fn handle(&mut self, msg: FindSession, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.sessions.get(&msg.0).cloned())
    }
}

/// A machine's live-chart ring (None: unknown machine).
#[derive(Message)]
#[rtype(result = "Option<Vec<ChartPoint>>")]
pub struct RecentOf(pub String);

impl Handler<RecentOf> for MachineRegistry {
    type Result = ResponseFuture<Option<Vec<ChartPoint>>>;

    fn handle(&mut self, msg: RecentOf, _: &mut Context<Self>) -> Self::Result {
        if let Some(remote) = self.remote.get(&msg.0) {
            let points = remote.recent.points();
            return Box::pin(async move { Some(points) });
        }
        let session = self.sessions.get(&msg.0).filter(|_| self.latest.contains_key(&msg.0)).cloned();
        Box::pin(async move {
            match session {
                Some(session) => session.send(GetRecent).await.ok(),
                None => None,
            }
        })
    }
}

/// Which hub holds each remote machine (machine_id, hub id), for `/api/stats`.
#[derive(Message)]
#[rtype(result = "Vec<(String, Arc<str>)>")]
pub struct RemoteMachines;

impl Handler<RemoteMachines> for MachineRegistry {
    type Result = MessageResult<RemoteMachines>;

    fn handle(&mut self, _: RemoteMachines, _: &mut Context<Self>) -> Self::Result {
        let mut all: Vec<_> = self.remote.iter().map(|(id, m)| (id.clone(), m.hub.clone())).collect();
        all.sort();
        MessageResult(all)
    }
}

/// A machine's new hub-side settings (already stored): shown to viewers at
/// once and used by its session from now on. Answers the machine's state
/// as it now is (None: unknown machine).
#[derive(Message)]
#[rtype(result = "Option<Arc<MachineUpdate>>")]
pub struct ApplySettings {
    pub machine_id: String,
    pub settings: MachineSettings,
}

impl Handler<ApplySettings> for MachineRegistry {
    type Result = MessageResult<ApplySettings>;

    fn handle(&mut self, msg: ApplySettings, _: &mut Context<Self>) -> Self::Result {
        self.settings.insert(msg.machine_id.clone(), msg.settings.clone());
        if let Some(session) = self.sessions.get(&msg.machine_id) {
            session.do_send(UseSettings(msg.settings.clone()));
        }
        let Some(current) = self.latest.get(&msg.machine_id) else { return MessageResult(None) };
        let update = current.with_settings(&msg.settings);
        self.accept(update.clone());
        MessageResult(Some(update))
    }
}

/// Every machine's settings as the shared store holds them (hubs on one
/// PostgreSQL): those that differ from what this hub shows are applied.
#[derive(Message)]
#[rtype(result = "()")]
pub struct RefreshSettings(pub Vec<(String, MachineSettings)>);

impl Handler<RefreshSettings> for MachineRegistry {
    type Result = ();

    fn handle(&mut self, msg: RefreshSettings, ctx: &mut Context<Self>) {
        for (machine_id, settings) in msg.0 {
            if self.settings.get(&machine_id).unwrap_or(&MachineSettings::default()) != &settings {
                Handler::<ApplySettings>::handle(self, ApplySettings { machine_id, settings }, ctx);
            }
        }
    }
}

/// A JSON merge patch of a machine's hub-side settings (see
/// `MachineSettings::patched`), taken in turn so that concurrent patches
/// compose. Answers (before, after); the caller stores `after`, then sends
/// [`ApplySettings`] with what the store holds.
#[derive(Message)]
#[rtype(result = "Result<(MachineSettings, MachineSettings), PatchRefused>")]
pub struct PatchSettings {
    pub machine_id: String,
    pub body: serde_json::Value,
}

/// Why a patch was refused.
#[derive(Debug)]
pub enum PatchRefused {
    UnknownMachine,
    Invalid(FieldError),
}

impl Handler<PatchSettings> for MachineRegistry {
    type Result = Result<(MachineSettings, MachineSettings), PatchRefused>;

    fn handle(&mut self, msg: PatchSettings, _: &mut Context<Self>) -> Self::Result {
        if !self.latest.contains_key(&msg.machine_id) {
            return Err(PatchRefused::UnknownMachine);
        }
        let before = self.settings.get(&msg.machine_id).cloned().unwrap_or_default();
        let after = before.patched(&msg.body).map_err(PatchRefused::Invalid)?;
        self.settings.insert(msg.machine_id, after.clone());
        Ok((before, after))
    }
}

/// Forgets a machine: viewers drop it at once, its session ends its
/// stream and stops, then [`MachineRemoved`] goes out on the broker (its
/// alerts resolve; the storage writer forgets it and tells `forgotten`).
/// Answers the status it had.
#[derive(Message)]
#[rtype(result = "Result<MachineStatus, ForgetRefused>")]
pub struct Forget {
    pub machine_id: String,
    /// Also when its agent is streaming (its stream is ended).
    pub force: bool,
    pub purge_history: bool,
    pub forgotten: Forgotten,
}

/// Why a machine was not forgotten.
#[derive(Debug, PartialEq, Eq)]
pub enum ForgetRefused {
    UnknownMachine,
    /// Its agent streams to this hub; `force` would end the stream.
    Online,
    /// Its agent streams to another hub (named), which must remove it.
    OnlineElsewhere(Arc<str>),
}

impl MachineRegistry {
    /// Whether the machine may be forgotten, and the status it has.
    fn may_forget(&self, msg: &Forget) -> Result<MachineStatus, ForgetRefused> {
        let status = self.latest.get(&msg.machine_id).ok_or(ForgetRefused::UnknownMachine)?.summary.status;
        if status == MachineStatus::Online {
            if let Some(remote) = self.remote.get(&msg.machine_id) {
                return Err(ForgetRefused::OnlineElsewhere(remote.hub.clone()));
            }
            if !msg.force {
                return Err(ForgetRefused::Online);
            }
        }
        Ok(status)
    }
}

impl Handler<Forget> for MachineRegistry {
    type Result = ResponseActFuture<Self, Result<MachineStatus, ForgetRefused>>;

    fn handle(&mut self, msg: Forget, _: &mut Context<Self>) -> Self::Result {
        let status = match self.may_forget(&msg) {
            Ok(status) => status,
            Err(refused) => return Box::pin(fut::ready(Err(refused))),
        };
        // Out of `sessions` first: what the retiring session still
        // publishes is ignored from now on (see `is_local`).
        let session = self.sessions.remove(&msg.machine_id);
        self.latest.remove(&msg.machine_id);
        self.remote.remove(&msg.machine_id);
        self.settings.remove(&msg.machine_id);
        let _ = self.live.send(LiveEvent::Removed(Arc::from(msg.machine_id.as_str())));
        let retired = async move {
            if let Some(session) = session {
                let _ = session.send(Retire).await;
            }
        };
        Box::pin(retired.into_actor(self).map(move |_, registry, _| {
            // After the session's last sample on the broker, so the writer
            // sees that first.
            let Forget { machine_id, purge_history, forgotten, .. } = msg;
            registry.issue_system_async(MachineRemoved { machine_id, purge_history, forgotten });
            Ok(status)
        }))
    }
}

/// A machine's hub-side settings (empty for a machine without any).
#[derive(Message)]
#[rtype(result = "MachineSettings")]
pub struct SettingsOf(pub String);

impl Handler<SettingsOf> for MachineRegistry {
    type Result = MessageResult<SettingsOf>;

    fn handle(&mut self, msg: SettingsOf, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.settings.get(&msg.0).cloned().unwrap_or_default())
    }
}

/// How many machines the registry knows.
#[derive(Message)]
#[rtype(result = "usize")]
pub struct CountMachines;

impl Handler<CountMachines> for MachineRegistry {
    type Result = usize;

    fn handle(&mut self, _: CountMachines, _: &mut Context<Self>) -> usize {
        self.latest.len()
    }
}
