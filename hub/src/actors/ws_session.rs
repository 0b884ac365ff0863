//! `WsSession`: one actor per browser on `/ws`.
//!
//! Sends a snapshot of the fleet first, then coalesces updates per machine:
//! an update arriving when nothing was sent for [`MIN_FRAME_GAP`] goes out
//! at once, later ones wait for the gap to pass and go out together (at most
//! 20 frames a second, a sample waits at most 50 ms). Pings the
//! browser and drops it when it stops answering or falls too far behind the
//! fan-out, without slowing anyone else. Text it does not understand is ignored.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_web_actors::ws;
use slog::{debug, Logger};
use tokio::sync::broadcast;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

use super::registry::{ListMachines, MachineRegistry};
use crate::events::LiveEvent;
use crate::events::MachineUpdate;
use crate::frames;
use crate::stats::Stats;
use sysmonstm_viewer::coalesce::{flush_delay, Pending};
use sysmonstm_viewer::heartbeat::{CLIENT_TIMEOUT, HEARTBEAT_INTERVAL};

/// Least time between two update frames to one browser.
pub const MIN_FRAME_GAP: Duration = Duration::from_millis(50);
/// Largest frame a browser may send; anything bigger closes the session.
pub const MAX_INBOUND_FRAME: usize = 4096;

pub struct WsSession {
    registry: Addr<MachineRegistry>,
    updates: Option<broadcast::Receiver<LiveEvent>>,
    stats: Arc<Stats>,
    log: Logger,
    /// Latest update per machine since the last flush.
    pending: Pending<Arc<MachineUpdate>>,
    /// When the last update frame went out.
    last_sent: Option<Instant>,
    flush_scheduled: bool,
    last_heard: Instant,
}

impl WsSession {
    pub fn new(
        registry: Addr<MachineRegistry>,
        updates: broadcast::Receiver<LiveEvent>,
        stats: Arc<Stats>,
        log: Logger,
    ) -> Self {
        WsSession {
            registry,
            updates: Some(updates),
            stats,
            log,
            pending: Pending::default(),
            last_sent: None,
            flush_scheduled: false,
            last_heard: Instant::now(),
        }
    }

    /// Sends what is pending now, or once [`MIN_FRAME_GAP`] has passed.
    fn schedule_flush(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        if self.flush_scheduled {
            return;
        }
        let delay = flush_delay(self.last_sent.map(|at| at.elapsed()), MIN_FRAME_GAP);
        if delay.is_zero() {
            self.flush(ctx);
        } else {
            self.flush_scheduled = true;
            ctx.run_later(delay, |session, ctx| {
                session.flush_scheduled = false;
                session.flush(ctx);
            });
        }
    }

    fn flush(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        if self.pending.is_empty() {
            return;
        }
        let pending = self.pending.take();
        let frame = frames::update(pending.iter().map(|u| &*u.summary_json));
        self.last_sent = Some(Instant::now());
        ctx.text(frame);
    }
}

impl Actor for WsSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.stats.browser_sessions.fetch_add(1, Ordering::Relaxed);
        // Subscribe before asking for the snapshot so nothing falls in between.
        if let Some(rx) = self.updates.take() {
            ctx.add_stream(BroadcastStream::new(rx));
        }
        self.registry
            .send(ListMachines)
            .into_actor(self)
            .map(|result, _, ctx| match result {
                Ok(all) => ctx.text(frames::snapshot(all.iter().map(|u| &*u.summary_json))),
                Err(_) => ctx.stop(),
            })
            .wait(ctx);
        ctx.run_interval(HEARTBEAT_INTERVAL, |session, ctx| {
            if session.last_heard.elapsed() > CLIENT_TIMEOUT {
                debug!(session.log, "browser stopped answering; closing");
                ctx.stop();
            } else {
                ctx.ping(b"");
            }
        });
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.stats.browser_sessions.fetch_sub(1, Ordering::Relaxed);
    }
}

impl StreamHandler<Result<LiveEvent, BroadcastStreamRecvError>> for WsSession {
    fn handle(&mut self, item: Result<LiveEvent, BroadcastStreamRecvError>, ctx: &mut Self::Context) {
        match item {
            Ok(LiveEvent::Machine(update)) => {
                self.pending.put(update, |u| u.machine_id());
                self.schedule_flush(ctx);
            }
            // Alerts are rare and urgent: sent at once, not coalesced.
            Ok(LiveEvent::Alert(frame)) => ctx.text(&*frame),
            Err(BroadcastStreamRecvError::Lagged(missed)) => {
                debug!(self.log, "browser session fell behind; closing"; "missed" => missed);
                ctx.close(Some(ws::CloseReason {
                    code: ws::CloseCode::Again,
                    description: Some("too slow: reconnect for a fresh snapshot".into()),
                }));
                ctx.stop();
            }
        }
    }

    fn finished(&mut self, ctx: &mut Self::Context) {
        ctx.stop(); // the hub is shutting down
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for WsSession {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.last_heard = Instant::now();
        match msg {
            Ok(ws::Message::Ping(bytes)) => ctx.pong(&bytes),
            Ok(ws::Message::Pong(_)) => {}
            // Browsers have nothing to say yet; what they send is ignored.
            Ok(ws::Message::Text(_)) | Ok(ws::Message::Binary(_)) | Ok(ws::Message::Nop) => {}
            Ok(ws::Message::Continuation(_)) => {}
            Ok(ws::Message::Close(reason)) => {
                ctx.close(reason);
                ctx.stop();
            }
            Err(e) => {
                debug!(self.log, "websocket protocol error; closing"; "error" => %e);
                ctx.close(Some(ws::CloseReason { code: ws::CloseCode::Size, description: Some(e.to_string()) }));
                ctx.stop();
            }
        }
    }
}
