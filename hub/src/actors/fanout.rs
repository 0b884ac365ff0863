//! `Fanout`: the one broker subscriber for all live viewers.
//!
//! Re-publishes every machine update into a tokio broadcast channel that
//! browser sessions and gRPC `Watch` streams read. The broker thus delivers
//! each event once, however many viewers there are, and a viewer that falls
//! behind only loses its own place in the channel (`Lagged`).

use std::sync::Arc;

use actix::prelude::*;
use actix_broker::BrokerSubscribe;
use tokio::sync::broadcast;

use super::alert_engine::AlertChanged;
use crate::events::{MachineUpdate, MachineWentOffline, MetricsReceived};

/// Updates a viewer may fall behind by before it is dropped.
pub const FANOUT_CAPACITY: usize = 16_384;

/// What viewers receive: machine updates, and alert frames encoded once.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    Machine(Arc<MachineUpdate>),
    /// `{"type":"alert","alert":{…}}`, ready to send.
    Alert(Arc<str>),
}

pub type UpdateSender = broadcast::Sender<LiveEvent>;

pub struct Fanout {
    tx: UpdateSender,
}

impl Fanout {
    pub fn new(tx: UpdateSender) -> Self {
        Fanout { tx }
    }
}

impl Actor for Fanout {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.subscribe_system_async::<MetricsReceived>(ctx);
        self.subscribe_system_async::<MachineWentOffline>(ctx);
        self.subscribe_system_async::<AlertChanged>(ctx);
    }
}

impl Handler<AlertChanged> for Fanout {
    type Result = ();

    fn handle(&mut self, msg: AlertChanged, _: &mut Context<Self>) {
        let alert = serde_json::to_string(&*msg.alert).unwrap_or_else(|_| "null".into());
        let _ = self.tx.send(LiveEvent::Alert(Arc::from(format!("{{\"type\":\"alert\",\"alert\":{alert}}}"))));
    }
}

impl Handler<MetricsReceived> for Fanout {
    type Result = ();

    fn handle(&mut self, msg: MetricsReceived, _: &mut Context<Self>) {
        // No receiver is not an error: nobody is watching.
        let _ = self.tx.send(LiveEvent::Machine(msg.0));
    }
}

impl Handler<MachineWentOffline> for Fanout {
    type Result = ();

    fn handle(&mut self, msg: MachineWentOffline, _: &mut Context<Self>) {
        let _ = self.tx.send(LiveEvent::Machine(msg.0));
    }
}
