//! `RelayLink`: pushes the hub's live feed to a public relay.
//!
//! Connects to `--relay-url` (`ws://…/ingest` or `wss://…`) with
//! `Authorization: Bearer <--relay-api-key>`, sends a snapshot of the whole
//! fleet (local and remote machines), then the same frames browsers get:
//! `update` frames coalesced per machine every [`RELAY_FLUSH_INTERVAL`], and
//! `alert` frames at once. It reads the viewers' broadcast like any viewer,
//! so a relay that is slow or down never delays the hub: if the link falls
//! behind it starts over from a fresh snapshot. Reconnects with backoff and
//! logs only when its state changes.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use futures::{SinkExt, StreamExt};
use slog::{info, warn, Logger};
use sysmonstm_protocol::backoff::Backoff;
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::{HeaderValue, AUTHORIZATION};
use tokio_tungstenite::tungstenite::Message;

use super::registry::{ListMachines, MachineRegistry};
use crate::events::MachineUpdate;
use crate::events::{LiveEvent, LiveSender};
use crate::frames;
use sysmonstm_viewer::coalesce::Pending;

/// How often coalesced updates go to the relay (a public view needs no
/// more than ~4 frames a second).
pub const RELAY_FLUSH_INTERVAL: Duration = Duration::from_millis(250);
/// How long connecting (TCP, TLS, upgrade) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one frame may wait for the relay to take it.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the link pings the relay (the relay closes silent links).
pub const PING_INTERVAL: Duration = Duration::from_secs(20);
/// Reconnect backoff.
const RETRY_MIN: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("invalid relay URL: {0}")]
    Url(String),
    #[error("the relay API key is not a valid header value")]
    Key,
}

/// Why one connection ended.
#[derive(Debug, thiserror::Error)]
enum Ended {
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("connecting timed out")]
    ConnectTimeout,
    #[error("the relay closed the link")]
    Closed,
    #[error("sending failed: {0}")]
    Send(String),
    #[error("the relay did not take a frame within {SEND_TIMEOUT:?}")]
    Slow,
    #[error("the hub is stopping")]
    Stopping,
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct RelayLink {
    link: Option<Link>,
}

impl RelayLink {
    pub fn new(
        url: &str,
        api_key: &str,
        registry: Addr<MachineRegistry>,
        live: LiveSender,
        log: Logger,
    ) -> Result<Self, LinkError> {
        let mut request = url.into_client_request().map_err(|e| LinkError::Url(e.to_string()))?;
        let bearer = HeaderValue::from_str(&format!("Bearer {api_key}")).map_err(|_| LinkError::Key)?;
        request.headers_mut().insert(AUTHORIZATION, bearer);
        Ok(RelayLink { link: Some(Link { request, url: url.to_owned(), registry, live, log }) })
    }
}

impl Actor for RelayLink {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if let Some(link) = self.link.take() {
            ctx.spawn(link.run_forever().into_actor(self));
        }
    }
}

struct Link {
    request: tokio_tungstenite::tungstenite::handshake::client::Request,
    url: String,
    registry: Addr<MachineRegistry>,
    live: LiveSender,
    log: Logger,
}

async fn send(socket: &mut Socket, text: String) -> Result<(), Ended> {
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::text(text))).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(Ended::Send(e.to_string())),
        Err(_) => Err(Ended::Slow),
    }
}

impl Link {
    async fn run_forever(self) {
        let mut backoff = Backoff::new(RETRY_MIN, RETRY_MAX);
        let mut was_up = true; // so the first failure is logged
        loop {
            let started = tokio::time::Instant::now();
            let ended = self.run_once(&mut was_up).await;
            if matches!(ended, Ended::Stopping) {
                return;
            }
            if was_up {
                warn!(self.log, "relay link down; retrying with backoff"; "relay" => &self.url, "reason" => %ended);
                was_up = false;
            }
            // A link that held for a while starts its backoff over.
            if started.elapsed() > RETRY_MAX {
                backoff.reset();
            }
            tokio::time::sleep(backoff.next_delay()).await;
        }
    }

    /// One connection, from connect to its end.
    async fn run_once(&self, was_up: &mut bool) -> Ended {
        let connect = tokio_tungstenite::connect_async(self.request.clone());
        let mut socket = match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
            Ok(Ok((socket, _))) => socket,
            Ok(Err(e)) => return Ended::Connect(e.to_string()),
            Err(_) => return Ended::ConnectTimeout,
        };
        info!(self.log, "relay link up"; "relay" => &self.url);
        *was_up = true;
        match self.stream(&mut socket).await {
            Ok(()) => Ended::Closed,
            Err(e) => e,
        }
    }

    async fn snapshot(&self) -> Result<String, Ended> {
        let all = self.registry.send(ListMachines).await.map_err(|_| Ended::Stopping)?;
        Ok(frames::snapshot(all.iter().map(|u| &*u.summary_json)))
    }

    /// Snapshot, then updates and alerts, until the link or the hub ends.
    async fn stream(&self, socket: &mut Socket) -> Result<(), Ended> {
        // Subscribe before the snapshot so that nothing falls in between.
        let mut events = self.live.subscribe();
        send(socket, self.snapshot().await?).await?;
        let mut pending: Pending<Arc<MachineUpdate>> = Pending::default();
        let mut flush = tokio::time::interval(RELAY_FLUSH_INTERVAL);
        let mut ping = tokio::time::interval(PING_INTERVAL);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(LiveEvent::Machine(update)) => {
                        pending.put(update, |u| u.machine_id());
                    }
                    Ok(LiveEvent::Alert(frame)) => send(socket, frame.to_string()).await?,
                    Ok(LiveEvent::Removed(machine_id)) => {
                        pending.forget(&machine_id);
                        send(socket, frames::removed(&machine_id)).await?;
                    }
                    Err(RecvError::Lagged(_)) => {
                        // The relay (or this link) fell behind: start over from the current state.
                        pending.take();
                        events = self.live.subscribe();
                        send(socket, self.snapshot().await?).await?;
                    }
                    Err(RecvError::Closed) => return Err(Ended::Stopping),
                },
                _ = flush.tick() => {
                    if !pending.is_empty() {
                        let frame = frames::update(pending.take().iter().map(|u| &*u.summary_json));
                        send(socket, frame).await?;
                    }
                }
                _ = ping.tick() => {
                    match tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Ping(Default::default()))).await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => return Err(Ended::Send(e.to_string())),
                        Err(_) => return Err(Ended::Slow),
                    }
                }
                incoming = socket.next() => match incoming {
                    Some(Ok(Message::Close(_))) | None => return Ok(()),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(Ended::Send(e.to_string())),
                },
            }
        }
    }
}
