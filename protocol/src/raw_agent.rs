//! An agent stream that sends exactly what its user says: the load
//! generator's simulated agents and the tests' protocol-level agent are
//! this one type. It opens `AgentIngest.Stream` (with a bearer token when
//! given), sends the first message with the request, and leaves the rest —
//! Hello or not, which seqs, when — to its user. The real agent
//! (`sysmonstm-agent`) is the one that samples, buffers and retries.

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;

use crate::pb::{self, agent_ingest_client::AgentIngestClient, agent_message, hub_message};

/// Messages queued towards the hub before `send` waits.
pub const OUTBOUND_QUEUE: usize = 64;

/// One open stream to a hub.
pub struct RawAgent {
    /// What goes to the hub.
    pub outbound: mpsc::Sender<pb::AgentMessage>,
    /// What the hub sends back (acks, interval changes, the ending status).
    pub inbound: tonic::Streaming<pb::HubMessage>,
}

/// The stream ended before a message could be sent.
#[derive(Debug, thiserror::Error)]
#[error("the hub closed the stream")]
pub struct Closed;

impl RawAgent {
    /// Opens a stream on `client` and sends `first`; Err is the hub's refusal.
    pub async fn open(
        mut client: AgentIngestClient<Channel>,
        token: Option<&str>,
        first: pb::AgentMessage,
    ) -> Result<RawAgent, tonic::Status> {
        let (outbound, queued) = mpsc::channel(OUTBOUND_QUEUE);
        // The receiver is alive until the request is made: this cannot fail.
        let _ = outbound.try_send(first);
        let mut request = tonic::Request::new(ReceiverStream::new(queued));
        if let Some(token) = token {
            let value = format!("Bearer {token}")
                .parse()
                .map_err(|_| tonic::Status::invalid_argument("the token is not printable ASCII"))?;
            request.metadata_mut().insert("authorization", value);
        }
        let inbound = client.stream(request).await?.into_inner();
        Ok(RawAgent { outbound, inbound })
    }

    /// Queues one message to the hub.
    pub async fn send(&self, message: pb::AgentMessage) -> Result<(), Closed> {
        self.outbound.send(message).await.map_err(|_| Closed)
    }

    /// The next message from the hub: None when the stream ended cleanly,
    /// Err with its ending status otherwise.
    pub async fn message(&mut self) -> Result<Option<pb::HubMessage>, tonic::Status> {
        self.inbound.message().await
    }

    /// Reads the hub's first answer, which must be its Welcome.
    pub async fn welcome(&mut self) -> Result<pb::Welcome, String> {
        match self.message().await {
            Ok(Some(pb::HubMessage { msg: Some(hub_message::Msg::Welcome(welcome)) })) => Ok(welcome),
            other => Err(format!("expected Welcome, got {other:?}")),
        }
    }
}

/// `hello` as the message that carries it.
pub fn hello(hello: pb::Hello) -> pb::AgentMessage {
    pb::AgentMessage { msg: Some(agent_message::Msg::Hello(hello)) }
}

/// `sample` as the message that carries it.
pub fn sample(sample: pb::Sample) -> pb::AgentMessage {
    pb::AgentMessage { msg: Some(agent_message::Msg::Sample(sample)) }
}
