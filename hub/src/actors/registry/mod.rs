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
//!
//! # Layout
//! - [`settings`]: hub-side settings (patch, apply, refresh, read).
//! - [`removal`]: forgetting a machine, here or as another hub did.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_broker::BrokerSubscribe;
use slog::Logger;

use sysmonstm_protocol::model::MachineStatus;
use sysmonstm_viewer::newest;

use super::machine_session::{GetRecent, MachineSession};
use crate::events::{LiveEvent, LiveSender};
use crate::events::{
    MachineUpdate, MachineWentOffline, MetricsReceived, Persisted, RemoteMachineRemoved, RemoteMachineUpdated,
};
use crate::liveness::{is_overdue, OFFLINE_CHECK_INTERVAL};
use crate::machine_settings::MachineSettings;
use crate::recent::{chart_point, ChartPoint, ChartRing};
use crate::store::KnownMachine;

mod removal;
mod settings;

pub use removal::{Forget, ForgetRefused};
pub use settings::{ApplySettings, PatchRefused, PatchSettings, RefreshSettings, SettingsOf};

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
        self.subscribe_system_async::<RemoteMachineRemoved>(ctx);
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
