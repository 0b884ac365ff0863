//! The stream client: connects to the hub, says Hello, resends from the
//! hub's `Welcome.last_seq`, streams new samples, applies Acks and
//! ConfigUpdates, and reconnects with backoff when anything breaks.
//!
//! Connection states (logged once per change, not per attempt):
//! `Connecting` -> `Streaming` -> `Disconnected` -> (backoff) -> `Connecting`.

use std::sync::Arc;
use std::time::Duration;

use slog::{debug, info, warn, Logger};
use sysmonstm_protocol::model::HostInfo;
use sysmonstm_protocol::pb::{self, agent_ingest_client::AgentIngestClient, agent_message, hub_message};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::{Channel, Endpoint};

use crate::backoff::Backoff;
use crate::config::{AgentConfig, MIN_INTERVAL};
use crate::outbox::Outbox;

/// How long a TCP/HTTP2 connection attempt may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the hub may take to answer Hello with Welcome.
pub const WELCOME_TIMEOUT: Duration = Duration::from_secs(10);
/// HTTP/2 pings that notice a hub that vanished without closing the connection.
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
pub const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages queued toward the hub before sending waits.
const OUTBOUND_QUEUE: usize = 256;

/// Why a stream ended.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("cannot connect: {}", sysmonstm_protocol::error_chain(.0))]
    Connect(#[from] tonic::transport::Error),
    #[error("hub refused or ended the stream: {0}")]
    Status(#[from] tonic::Status),
    #[error("hub closed the stream")]
    Closed,
    #[error("no Welcome within {}s", WELCOME_TIMEOUT.as_secs())]
    WelcomeTimeout,
    #[error("protocol error: {0}")]
    Protocol(&'static str),
    #[error("bad token: {0}")]
    Token(String),
}

/// Everything one connection needs.
pub struct Client {
    pub config: AgentConfig,
    pub instance_id: String,
    pub host: HostInfo,
    pub outbox: Arc<Outbox>,
    pub interval: watch::Sender<Duration>,
    pub log: Logger,
    /// Index into `config.hubs` of the hub tried next.
    pub current: usize,
}

impl Client {
    /// Connects, streams and reconnects until `shutdown` turns true.
    ///
    /// With several hubs, a failed connection or a lost stream moves to the
    /// next one at once; only a whole round of failures waits for the backoff.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = crate::backoff::reconnect();
        let mut unreachable_logged = false;
        info!(self.log, "connecting to hub"; "hubs" => self.config.hubs.join(","));
        loop {
            let hub = self.hub().to_owned();
            let mut streamed = false;
            let result = tokio::select! {
                r = self.stream_once(&mut backoff, &mut streamed, shutdown.clone()) => r,
                _ = shutdown.changed() => return,
            };
            if *shutdown.borrow() {
                return;
            }
            match result {
                Ok(()) => return,
                Err(e) if streamed => {
                    warn!(self.log, "disconnected from hub; reconnecting"; "hub" => &hub, "reason" => %e,
                        "unacked" => self.outbox.len());
                    unreachable_logged = false;
                }
                Err(e) if !unreachable_logged => {
                    warn!(self.log, "hub unreachable; retrying with backoff (logged once per outage)";
                        "hub" => &hub, "reason" => %e);
                    unreachable_logged = true;
                }
                Err(e) => {
                    debug!(self.log, "still unreachable"; "hub" => &hub, "reason" => %e, "attempt" => backoff.attempt())
                }
            }
            self.current = (self.current + 1) % self.config.hubs.len().max(1);
            if !streamed && self.current != 0 {
                continue; // the next hub of this round, at once
            }
            let delay = backoff.next_delay();
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    fn hello(&self) -> pb::AgentMessage {
        pb::AgentMessage {
            msg: Some(agent_message::Msg::Hello(pb::Hello {
                machine_id: self.config.machine_id.clone(),
                instance_id: self.instance_id.clone(),
                host: Some((&self.host).into()),
                agent_version: sysmonstm_protocol::VERSION.to_owned(),
                interval_ms: self.interval.borrow().as_millis() as u32,
                dropped_samples: self.outbox.dropped(),
            })),
        }
    }

    /// The hub tried now.
    fn hub(&self) -> &str {
        self.config
            .hubs
            .get(self.current)
            .or(self.config.hubs.first())
            .map_or(crate::config::DEFAULT_HUB, String::as_str)
    }

    async fn connect(&self) -> Result<AgentIngestClient<Channel>, StreamError> {
        let hub = self.hub();
        let mut endpoint = Endpoint::from_shared(hub.to_owned())?;
        if let (true, Some(tls)) = (hub.starts_with("https://"), &self.config.tls) {
            endpoint = endpoint.tls_config(tls.clone())?;
        }
        let channel = endpoint
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(KEEPALIVE_INTERVAL)
            .keep_alive_timeout(KEEPALIVE_TIMEOUT)
            .connect()
            .await?;
        Ok(AgentIngestClient::new(channel))
    }

    /// One connection: returns Ok only on shutdown.
    async fn stream_once(
        &self,
        backoff: &mut Backoff,
        streamed: &mut bool,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<(), StreamError> {
        let mut client = self.connect().await?;
        let (tx, rx) = mpsc::channel(OUTBOUND_QUEUE);
        tx.send(self.hello()).await.map_err(|_| StreamError::Closed)?;
        let mut request = tonic::Request::new(ReceiverStream::new(rx));
        if let Some(token) = &self.config.token {
            let value = format!("Bearer {token}").parse().map_err(|_| StreamError::Token("not ASCII".into()))?;
            request.metadata_mut().insert("authorization", value);
        }
        let mut inbound = client.stream(request).await?.into_inner();
        let welcome = match tokio::time::timeout(WELCOME_TIMEOUT, inbound.message()).await {
            Err(_) => return Err(StreamError::WelcomeTimeout),
            Ok(Err(status)) => return Err(status.into()),
            Ok(Ok(None)) => return Err(StreamError::Closed),
            Ok(Ok(Some(pb::HubMessage { msg: Some(hub_message::Msg::Welcome(w)) }))) => w,
            Ok(Ok(Some(_))) => return Err(StreamError::Protocol("first message from the hub was not Welcome")),
        };
        *streamed = true;
        backoff.reset();
        self.outbox.ack(welcome.last_seq);
        self.apply_interval(welcome.interval_ms);
        info!(self.log, "connected to hub; streaming"; "hub" => self.hub(),
            "hub_last_seq" => welcome.last_seq, "to_resend" => self.outbox.len());

        let mut next_seq = welcome.last_seq + 1;
        loop {
            let pending = self.outbox.next_from(next_seq);
            let has_pending = pending.is_some();
            tokio::select! {
                permit = tx.reserve(), if has_pending => {
                    let permit = permit.map_err(|_| StreamError::Closed)?;
                    if let Some(sample) = pending {
                        next_seq = sample.seq + 1;
                        permit.send(pb::AgentMessage {
                            msg: Some(agent_message::Msg::Sample((&sample).into())),
                        });
                    }
                }
                _ = self.outbox.new_sample.notified(), if !has_pending => {}
                message = inbound.message() => match message? {
                    None => return Err(StreamError::Closed),
                    Some(pb::HubMessage { msg: Some(hub_message::Msg::Ack(ack)) }) => self.outbox.ack(ack.seq),
                    Some(pb::HubMessage { msg: Some(hub_message::Msg::Config(update)) }) => {
                        self.apply_interval(update.interval_ms);
                    }
                    Some(_) => debug!(self.log, "ignored an unexpected message from the hub"),
                },
                _ = shutdown.changed() => return Ok(()),
            }
        }
    }

    /// Follows an interval the hub asks for (0 means keep ours).
    fn apply_interval(&self, interval_ms: u32) {
        if interval_ms == 0 {
            return;
        }
        let wanted = Duration::from_millis(u64::from(interval_ms)).max(MIN_INTERVAL);
        if *self.interval.borrow() != wanted {
            info!(self.log, "hub changed the sampling interval"; "interval_ms" => wanted.as_millis() as u64);
            self.interval.send_replace(wanted);
        }
    }
}
