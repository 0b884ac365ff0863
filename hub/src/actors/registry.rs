//! `MachineRegistry`: machine_id -> its `MachineSession`.
//!
//! Starts each session under `actix::Supervisor` on one of a small pool of
//! arbiters (one per core, round robin), so machine work spreads over every
//! core. Keeps the latest published state of every machine (from the broker)
//! to answer list and get queries without asking each session.

use std::collections::HashMap;
use std::sync::Arc;

use actix::prelude::*;
use actix_broker::BrokerSubscribe;
use slog::Logger;

use super::machine_session::MachineSession;
use crate::events::{MachineUpdate, MachineWentOffline, MetricsReceived, Persisted};
use crate::store::KnownMachine;

pub struct MachineRegistry {
    log: Logger,
    arbiters: Vec<ArbiterHandle>,
    next_arbiter: usize,
    sessions: HashMap<String, Addr<MachineSession>>,
    /// Latest published state per machine.
    latest: HashMap<String, Arc<MachineUpdate>>,
}

impl MachineRegistry {
    /// A registry spreading sessions over `arbiters` (the current one when
    /// empty), starting with the machines the store knows (offline).
    pub fn new(arbiters: Vec<ArbiterHandle>, known: Vec<KnownMachine>, log: Logger) -> Self {
        let mut registry =
            MachineRegistry { log, arbiters, next_arbiter: 0, sessions: HashMap::new(), latest: HashMap::new() };
        for machine in known {
            let id = machine.machine_id.clone();
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
}

impl Actor for MachineRegistry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.subscribe_system_async::<MetricsReceived>(ctx);
        self.subscribe_system_async::<MachineWentOffline>(ctx);
    }
}

impl Handler<MetricsReceived> for MachineRegistry {
    type Result = ();

    fn handle(&mut self, msg: MetricsReceived, _: &mut Context<Self>) {
        self.latest.insert(msg.0.machine_id().to_owned(), msg.0);
    }
}

impl Handler<MachineWentOffline> for MachineRegistry {
    type Result = ();

    fn handle(&mut self, msg: MachineWentOffline, _: &mut Context<Self>) {
        self.latest.insert(msg.0.machine_id().to_owned(), msg.0);
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
pub struct SessionFor(pub String);

impl Handler<SessionFor> for MachineRegistry {
    type Result = MessageResult<SessionFor>;

    fn handle(&mut self, msg: SessionFor, _: &mut Context<Self>) -> Self::Result {
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

/// One machine's latest state and session.
#[derive(Message)]
#[rtype(result = "Option<(Arc<MachineUpdate>, Addr<MachineSession>)>")]
pub struct GetMachine(pub String);

impl Handler<GetMachine> for MachineRegistry {
    type Result = MessageResult<GetMachine>;

    fn handle(&mut self, msg: GetMachine, _: &mut Context<Self>) -> Self::Result {
        let found = self.latest.get(&msg.0).zip(self.sessions.get(&msg.0));
        MessageResult(found.map(|(update, addr)| (update.clone(), addr.clone())))
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
