//! `Fanout`: the viewers' broadcast channel, and the broker subscriber that
//! puts alert events into it.
//!
//! Browser sessions, gRPC `Watch` streams and the relay link read one tokio
//! broadcast channel of `LiveEvent`s (see `events`). Machine states enter it from the
//! registry (which decides between local and remote states), alert frames
//! from here, encoded once. Each event is delivered once however many
//! viewers there are, and a viewer that falls behind only loses its own
//! place in the channel (`Lagged`).

use std::sync::Arc;

use actix::prelude::*;
use actix_broker::BrokerSubscribe;
use tokio::sync::broadcast;

use crate::events::{AlertChanged, LiveEvent, LiveSender};
use crate::frames;

/// Updates a viewer may fall behind by before it is dropped.
pub const FANOUT_CAPACITY: usize = 16_384;

/// A viewers' channel (with no viewer yet).
pub fn live_channel() -> LiveSender {
    broadcast::channel(FANOUT_CAPACITY).0
}

/// `{"type":"alert","alert":{…}}` for an alert change.
pub fn alert_frame(change: &AlertChanged) -> Arc<str> {
    match serde_json::value::to_raw_value(&*change.alert) {
        Ok(alert) => Arc::from(frames::alert(&alert)),
        Err(e) => Arc::from(serde_json::json!({ "type": "alert", "alert": null, "error": e.to_string() }).to_string()),
    }
}

pub struct Fanout {
    live: LiveSender,
}

impl Fanout {
    pub fn new(live: LiveSender) -> Self {
        Fanout { live }
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
        let _ = self.live.send(LiveEvent::Alert(alert_frame(&msg)));
    }
}
