//! `Fanout`: the viewers' broadcast channel, and the broker subscriber that
//! puts alert events into it.
//!
//! Browser sessions, gRPC `Watch` streams and the relay link read one tokio
//! broadcast channel of [`LiveEvent`]s. Machine states enter it from the
//! registry (which decides between local and remote states), alert frames
//! from here, encoded once. Each event is delivered once however many
//! viewers there are, and a viewer that falls behind only loses its own
//! place in the channel (`Lagged`).

use std::sync::Arc;

use actix::prelude::*;
use actix_broker::BrokerSubscribe;
use tokio::sync::broadcast;

use super::alert_engine::AlertChanged;
use crate::events::MachineUpdate;

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

/// `{"type":"alert","alert":{…}}` for an alert change.
pub fn alert_frame(change: &AlertChanged) -> Arc<str> {
    let alert = serde_json::to_string(&*change.alert).unwrap_or_else(|_| "null".into());
    Arc::from(format!("{{\"type\":\"alert\",\"alert\":{alert}}}"))
}

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
        self.subscribe_system_async::<AlertChanged>(ctx);
    }
}

impl Handler<AlertChanged> for Fanout {
    type Result = ();

    fn handle(&mut self, msg: AlertChanged, _: &mut Context<Self>) {
        let _ = self.tx.send(LiveEvent::Alert(alert_frame(&msg)));
    }
}
