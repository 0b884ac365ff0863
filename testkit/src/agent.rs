//! Agents for tests: the real one in-process ([`TestAgent`]), and the
//! protocol-level one ([`RawAgent`]: the protocol crate's raw agent, the
//! load generator's too, with a test's expectations: answers within
//! [`WAIT`], panics naming what went wrong).

use std::time::Duration;

use sysmonstm_protocol::pb::{self, agent_ingest_client::AgentIngestClient};
use sysmonstm_protocol::raw_agent;
use tokio::sync::watch;

use crate::wait::WAIT;

/// A real agent (the agent crate) running in this process until dropped or stopped.
pub struct TestAgent {
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestAgent {
    pub fn start(hub_url: &str, machine_id: &str, interval: Duration, token: Option<&str>) -> TestAgent {
        TestAgent::run(TestAgent::config(hub_url, machine_id, interval, token))
    }

    /// What [`TestAgent::start`] runs, for a test to change before [`TestAgent::run`].
    pub fn config(
        hub_url: &str,
        machine_id: &str,
        interval: Duration,
        token: Option<&str>,
    ) -> sysmonstm_agent::AgentConfig {
        sysmonstm_agent::AgentConfig {
            hubs: sysmonstm_agent::config::split_hubs(hub_url),
            machine_id: machine_id.to_owned(),
            interval,
            token: token.map(str::to_owned),
            buffer_samples: 3600,
            rootfs: None,
            tls: None,
            labels: Default::default(),
        }
    }

    /// An agent with a configuration of the test's own.
    pub fn run(config: sysmonstm_agent::AgentConfig) -> TestAgent {
        let (shutdown, rx) = watch::channel(false);
        let task = tokio::spawn(sysmonstm_agent::run(config, sysmonstm_protocol::logging::discard(), rx));
        TestAgent { shutdown, task: Some(task) }
    }

    pub async fn stop(&mut self) {
        self.shutdown.send_replace(true);
        if let Some(task) = self.task.take() {
            tokio::time::timeout(WAIT, task).await.expect("agent stops in time").expect("agent task");
        }
    }
}

impl Drop for TestAgent {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

/// A protocol-level agent: sends exactly what a test says, and expects
/// the hub to answer within [`WAIT`].
pub struct RawAgent(raw_agent::RawAgent);

/// A Hello for `machine_id` from agent instance `instance_id` (1 s interval).
pub fn hello(machine_id: &str, instance_id: &str) -> pb::AgentMessage {
    raw_agent::hello(pb::Hello {
        machine_id: machine_id.into(),
        instance_id: instance_id.into(),
        host: Some(pb::HostInfo { hostname: format!("{machine_id}-host"), cpu_cores: 4, ..Default::default() }),
        agent_version: "test".into(),
        interval_ms: 1000,
        dropped_samples: 0,
    })
}

/// Sample `seq`, taken now (CPU 10 + seq %, memory half of 1 GiB).
pub fn sample(seq: u64) -> pb::AgentMessage {
    raw_agent::sample(pb::Sample {
        seq,
        timestamp_ms: sysmonstm_protocol::clock::now_ms(),
        cpu: Some(pb::CpuStats { total_percent: 10.0 + seq as f64, ..Default::default() }),
        memory: Some(pb::MemoryStats { total: 1 << 30, used: 1 << 29, percent: 50.0, ..Default::default() }),
        ..Default::default()
    })
}

impl RawAgent {
    /// Opens a stream and sends `first`; Err is the hub's refusal.
    pub async fn open(grpc: &str, token: Option<&str>, first: pb::AgentMessage) -> Result<RawAgent, tonic::Status> {
        let client = AgentIngestClient::connect(grpc.to_owned()).await.expect("gRPC connects");
        RawAgent::open_on(client, token, first).await
    }

    /// Like [`RawAgent::open`], over a client already connected (TLS, say).
    pub async fn open_on(
        client: AgentIngestClient<tonic::transport::Channel>,
        token: Option<&str>,
        first: pb::AgentMessage,
    ) -> Result<RawAgent, tonic::Status> {
        raw_agent::RawAgent::open(client, token, first).await.map(RawAgent)
    }

    pub async fn send(&self, message: pb::AgentMessage) {
        self.0.send(message).await.expect("send");
    }

    /// The next message from the hub (Err: the stream's ending status).
    pub async fn next(&mut self) -> Result<Option<pb::HubMessage>, tonic::Status> {
        tokio::time::timeout(WAIT, self.0.message()).await.expect("hub answers in time")
    }

    /// Reads until the hub ends the stream; returns the ending status.
    pub async fn ending_status(&mut self) -> tonic::Status {
        loop {
            match self.next().await {
                Err(status) => return status,
                Ok(Some(_)) => continue,
                Ok(None) => panic!("stream ended without a status"),
            }
        }
    }

    /// Waits for an ack of at least `seq`; returns the acked seq.
    pub async fn ack_at_least(&mut self, seq: u64) -> u64 {
        loop {
            match self.next().await.expect("stream open").expect("message") {
                pb::HubMessage { msg: Some(pb::hub_message::Msg::Ack(ack)) } if ack.seq >= seq => return ack.seq,
                _ => continue,
            }
        }
    }
}
