//! `AgentIngest.Stream`: Hello -> Welcome, then samples in and acks out.
//!
//! The agent's token is checked first (`UNAUTHENTICATED`), then the first
//! message must be a valid Hello (anything wrong ends the stream with
//! `INVALID_ARGUMENT` naming the field) whose machine id the token may
//! report (`PERMISSION_DENIED`), all before anything is stored. Samples go to the machine's
//! session in order; the session answers through a channel of domain
//! replies (ack, interval, end) that [`to_wire`] turns into protobuf and
//! `Status`, after the Welcome and beside this side's own refusals.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use futures::{Stream, StreamExt};
use slog::{debug, warn, Logger};
use sysmonstm_protocol::pb::{self, agent_ingest_server::AgentIngest, agent_message, hub_message};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::auth::AgentAuth;
use super::validate;
use crate::actors::machine_session::{Attach, Detach, Ingest, MachineSession};
use crate::actors::registry::{MachineRegistry, OpenSession};
use crate::actors::storage_writer::MAX_BACKLOG;
use crate::agent_tokens::book::TokenWatch;
use crate::events::{AgentHello, AgentReply, StreamEnd};
use crate::labels;
use crate::stats::Stats;
use crate::store::status::StoreStatus;
use crate::store::Store;

/// How long a new stream may take to say Hello.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest agent message accepted (a sample is a few KB).
pub const MAX_AGENT_MESSAGE: usize = 1024 * 1024;
/// Replies (acks, config) queued toward one agent.
const REPLY_QUEUE: usize = 64;
/// While the storage backlog is over its bound, streams are checked this often.
const BACKPRESSURE_POLL: std::time::Duration = std::time::Duration::from_millis(50);

pub struct IngestService {
    pub registry: Addr<MachineRegistry>,
    pub store: Arc<dyn Store>,
    pub store_status: Arc<StoreStatus>,
    pub auth: AgentAuth,
    pub stats: Arc<Stats>,
    pub hub_id: String,
    pub shutdown: watch::Receiver<bool>,
    pub log: Logger,
    pub next_connection: Arc<AtomicU64>,
}

fn unavailable(_: actix::MailboxError) -> Status {
    Status::unavailable("hub is shutting down")
}

/// tonic refuses a message over the decoding limit with OUT_OF_RANGE; the
/// agent is told RESOURCE_EXHAUSTED, the code for "too large".
fn size_refusal(status: Status) -> Status {
    if status.code() == tonic::Code::OutOfRange && status.message().contains("too large") {
        Status::resource_exhausted(format!("agent message over {MAX_AGENT_MESSAGE} bytes: {}", status.message()))
    } else {
        status
    }
}

impl IngestService {
    async fn read_hello(inbound: &mut Streaming<pb::AgentMessage>) -> Result<AgentHello, Status> {
        let first = tokio::time::timeout(HELLO_TIMEOUT, inbound.message())
            .await
            .map_err(|_| Status::invalid_argument(format!("no Hello within {}s", HELLO_TIMEOUT.as_secs())))?
            .map_err(size_refusal)?;
        match first {
            Some(pb::AgentMessage { msg: Some(agent_message::Msg::Hello(hello)) }) => {
                validate::hello(hello).map_err(|e| Status::invalid_argument(e.to_string()))
            }
            Some(pb::AgentMessage { msg: Some(agent_message::Msg::Sample(_)) }) => {
                Err(Status::invalid_argument("first message must be Hello, got a Sample"))
            }
            Some(pb::AgentMessage { msg: None }) => Err(Status::invalid_argument("first message is empty; send Hello")),
            None => Err(Status::invalid_argument("stream ended before Hello")),
        }
    }
}

/// An interval as the protocol carries it (ms; 0 means "none").
fn interval_ms(every: Duration) -> u32 {
    every.as_millis().min(u32::MAX as u128) as u32
}

/// What a session's reply is on the wire: a message, or the status that ends the stream.
pub fn to_wire(reply: AgentReply) -> Result<pb::HubMessage, Status> {
    let msg = match reply {
        AgentReply::Ack(seq) => hub_message::Msg::Ack(pb::Ack { seq }),
        AgentReply::Interval(every) => hub_message::Msg::Config(pb::ConfigUpdate { interval_ms: interval_ms(every) }),
        AgentReply::End(StreamEnd::Replaced) => {
            return Err(Status::aborted("replaced by a newer connection for this machine_id"))
        }
        AgentReply::End(StreamEnd::SessionRestarting) => {
            return Err(Status::unavailable("machine session restarting; reconnect"))
        }
        AgentReply::End(StreamEnd::Removed) => {
            return Err(Status::not_found(
                "this machine was removed from the hub; stop its agent, or it is added again when it reconnects",
            ))
        }
    };
    Ok(pb::HubMessage { msg: Some(msg) })
}

/// One accepted agent stream: where its samples go, and where this side's
/// refusal (a bad message, the hub stopping) goes.
struct AgentStream {
    session: Addr<MachineSession>,
    connection_id: u64,
    refusal: oneshot::Sender<Status>,
    /// With an issued token: resolves when it is revoked or runs out.
    revocation: Option<TokenWatch>,
    log: Logger,
}

/// Resolves when the stream's token stops being valid (never for flag tokens).
async fn token_ended(revocation: &mut Option<TokenWatch>) {
    match revocation {
        Some(watch) => watch.ended(crate::now_ms).await,
        None => std::future::pending().await,
    }
}

/// Reads samples until the stream ends, then detaches from the session.
async fn pump(
    mut inbound: Streaming<pb::AgentMessage>,
    AgentStream { session, connection_id, refusal: refuse, mut revocation, log }: AgentStream,
    stats: Arc<Stats>,
    store_status: Arc<StoreStatus>,
    mut shutdown: watch::Receiver<bool>,
) {
    stats.agents_connected.fetch_add(1, Ordering::Relaxed);
    let refusal = loop {
        // Stop pulling while the writer is behind: the agent keeps the data.
        while store_status.backlog.load(Ordering::Relaxed) > MAX_BACKLOG && !*shutdown.borrow() {
            tokio::time::sleep(BACKPRESSURE_POLL).await;
        }
        let message = tokio::select! {
            m = inbound.message() => m,
            _ = shutdown.changed() => break Some(Status::unavailable("hub is shutting down")),
            _ = token_ended(&mut revocation) => {
                warn!(log, "agent token revoked or expired; ending its stream");
                break Some(Status::unauthenticated("this agent token was revoked or has expired"));
            }
        };
        match message {
            Ok(Some(pb::AgentMessage { msg: Some(agent_message::Msg::Sample(sample)) })) => {
                let sample = match validate::sample(sample) {
                    Ok(sample) => sample,
                    Err(e) => break Some(Status::invalid_argument(e.to_string())),
                };
                stats.samples_received.fetch_add(1, Ordering::Relaxed);
                // Not awaited: a round trip to the session's thread per sample
                // costs more than the sample. A stream that is no longer the
                // session's (replaced, or the session restarted) is ended by
                // the session through `tx`, and its agent reconnects.
                // `do_send` ignores the mailbox bound: a sample is never dropped.
                if !session.connected() {
                    break Some(Status::unavailable("machine session stopped; reconnect"));
                }
                session.do_send(Ingest { connection_id, sample });
            }
            Ok(Some(pb::AgentMessage { msg: Some(agent_message::Msg::Hello(_)) })) => {
                break Some(Status::invalid_argument("Hello sent twice on one stream"));
            }
            Ok(Some(pb::AgentMessage { msg: None })) => break Some(Status::invalid_argument("empty AgentMessage")),
            Ok(None) => break None,
            Err(status) if status.code() == tonic::Code::OutOfRange => break Some(size_refusal(status)),
            Err(status) => {
                debug!(log, "agent stream broke"; "status" => %status);
                break None;
            }
        }
    };
    if let Some(status) = refusal {
        debug!(log, "ending agent stream"; "status" => %status);
        let _ = refuse.send(status);
    }
    stats.agents_connected.fetch_sub(1, Ordering::Relaxed);
    session.do_send(Detach { connection_id });
}

#[tonic::async_trait]
impl AgentIngest for IngestService {
    type StreamStream = Pin<Box<dyn Stream<Item = Result<pb::HubMessage, Status>> + Send + 'static>>;

    async fn stream(
        &self,
        request: Request<Streaming<pb::AgentMessage>>,
    ) -> Result<Response<Self::StreamStream>, Status> {
        let mut grant = self.auth.check(request.metadata(), crate::now_ms()).inspect_err(|_| {
            self.stats.agent_streams_refused.fetch_add(1, Ordering::Relaxed);
        })?;
        let mut inbound = request.into_inner();
        let mut hello = Self::read_hello(&mut inbound).await?;
        let log = self.log.new(slog::o!("machine_id" => hello.machine_id.clone()));
        if let Err(denied) = grant.permits(&hello.machine_id) {
            self.stats.agent_streams_refused.fetch_add(1, Ordering::Relaxed);
            warn!(log, "agent token not allowed for this machine id; stream refused"; "reason" => denied.message());
            return Err(denied);
        }
        if !grant.labels.is_empty() {
            // The token's labels win over what the agent says for the same key.
            hello.host.labels = labels::merged(&hello.host.labels, &grant.labels);
            if let Err((_, problem)) = sysmonstm_protocol::labels::check(&hello.host.labels) {
                return Err(Status::invalid_argument(format!("hello.host.labels with the token's: {problem}")));
            }
        }
        let session = self.registry.send(OpenSession(hello.machine_id.clone())).await.map_err(unavailable)?;
        self.stats.agent_samples_dropped.fetch_add(hello.dropped_samples, Ordering::Relaxed);
        let stored_last_seq = match self.store.last_seq(&hello.machine_id, &hello.instance_id).await {
            Ok(seq) => seq,
            Err(e) => {
                // Safe: Welcome 0 makes the agent resend; stored seqs are skipped on write.
                warn!(log, "cannot read the last stored seq; the agent resends its buffer"; "error" => %e);
                0
            }
        };
        let connection_id = self.next_connection.fetch_add(1, Ordering::Relaxed);
        let (tx, replies) = mpsc::channel(REPLY_QUEUE);
        let attached = session.send(Attach { connection_id, hello, stored_last_seq, tx }).await.map_err(unavailable)?;
        let welcome = pb::Welcome {
            last_seq: attached.last_seq,
            interval_ms: attached.interval.map_or(0, interval_ms),
            hub_id: self.hub_id.clone(),
        };
        let (refuse, refusal) = oneshot::channel();
        tokio::spawn(pump(
            inbound,
            AgentStream { session, connection_id, refusal: refuse, revocation: grant.revocation.take(), log },
            self.stats.clone(),
            self.store_status.clone(),
            self.shutdown.clone(),
        ));
        // Welcome first, then the session's replies and this side's refusal
        // as they come; the stream ends when both have ended (the session
        // let go of the stream, and the pump stopped reading).
        let welcome =
            futures::stream::once(async move { Ok(pb::HubMessage { msg: Some(hub_message::Msg::Welcome(welcome)) }) });
        let refusal = futures::stream::once(refusal).filter_map(|r| async move { r.ok().map(Err) });
        let replies = ReceiverStream::new(replies).map(to_wire);
        let outbound = welcome.chain(futures::stream::select(replies, refusal));
        Ok(Response::new(Box::pin(outbound)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_on_the_wire() {
        let ack = to_wire(AgentReply::Ack(42)).expect("a message");
        assert_eq!(ack.msg, Some(hub_message::Msg::Ack(pb::Ack { seq: 42 })));
        let config = to_wire(AgentReply::Interval(Duration::from_millis(2_500))).expect("a message");
        assert_eq!(config.msg, Some(hub_message::Msg::Config(pb::ConfigUpdate { interval_ms: 2_500 })));
        let huge = to_wire(AgentReply::Interval(Duration::from_secs(u64::MAX))).expect("a message");
        assert_eq!(huge.msg, Some(hub_message::Msg::Config(pb::ConfigUpdate { interval_ms: u32::MAX })));
        let replaced = to_wire(AgentReply::End(StreamEnd::Replaced)).expect_err("ends the stream");
        assert_eq!(replaced.code(), tonic::Code::Aborted);
        let restarting = to_wire(AgentReply::End(StreamEnd::SessionRestarting)).expect_err("ends the stream");
        assert_eq!(restarting.code(), tonic::Code::Unavailable, "the agent reconnects at once");
    }
}
