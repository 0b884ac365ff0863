//! Helpers for the hub's integration tests: a real hub in-process on port 0,
//! real agents (the agent crate), a raw gRPC agent for protocol-level tests,
//! and HTTP/WebSocket clients.

#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use sysmonstm_hub::{HubConfig, HubHandle};
use sysmonstm_protocol::pb::{self, agent_ingest_client::AgentIngestClient, agent_message};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tokio_tungstenite::tungstenite::Message;

/// How long a test waits for something that should happen within seconds.
pub const WAIT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(50);

pub struct TestHub {
    pub hub: Option<HubHandle>,
    pub dir: tempfile::TempDir,
}

impl TestHub {
    pub fn start() -> TestHub {
        let dir = tempfile::tempdir().expect("temp dir");
        TestHub::start_with(HubConfig::ephemeral(dir.path().to_path_buf()), dir)
    }

    pub fn start_with(config: HubConfig, dir: tempfile::TempDir) -> TestHub {
        let hub = sysmonstm_hub::start(config, sysmonstm_protocol::logging::discard()).expect("hub starts");
        TestHub { hub: Some(hub), dir }
    }

    pub fn handle(&self) -> &HubHandle {
        self.hub.as_ref().expect("hub running")
    }

    pub fn http(&self) -> String {
        format!("http://{}", self.handle().http_addr)
    }

    pub fn grpc(&self) -> String {
        format!("http://{}", self.handle().grpc_addr)
    }

    pub fn grpc_addr(&self) -> SocketAddr {
        self.handle().grpc_addr
    }

    pub async fn stop(&mut self) {
        if let Some(hub) = self.hub.take() {
            tokio::task::spawn_blocking(move || hub.stop()).await.expect("hub stops");
        }
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.take() {
            std::thread::spawn(move || hub.stop());
        }
    }
}

/// A real agent (the agent crate) running in this process until dropped or stopped.
pub struct TestAgent {
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestAgent {
    pub fn start(hub_url: &str, machine_id: &str, interval: Duration, token: Option<&str>) -> TestAgent {
        let config = sysmonstm_agent::AgentConfig {
            hubs: sysmonstm_agent::config::split_hubs(hub_url),
            machine_id: machine_id.to_owned(),
            interval,
            token: token.map(str::to_owned),
            buffer_samples: 3600,
            rootfs: None,
            tls: None,
        };
        TestAgent::run(config)
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

/// Polls `probe` until it returns Some, or panics after WAIT naming `what`.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(POLL).await;
    }
}

pub async fn get_json(url: &str) -> (u16, Value) {
    let response = reqwest::get(url).await.expect("HTTP request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

pub async fn machines(http: &str) -> Vec<Value> {
    let (status, body) = get_json(&format!("{http}/api/machines")).await;
    assert_eq!(status, 200);
    body.as_array().expect("array").clone()
}

pub async fn machine(http: &str, id: &str) -> Option<Value> {
    machines(http).await.into_iter().find(|m| m["machine_id"] == id)
}

/// Waits until `id` is listed with `status`.
pub async fn wait_status(http: &str, id: &str, status: &str) -> Value {
    eventually(&format!("{id} to be {status}"), || async { machine(http, id).await.filter(|m| m["status"] == status) })
        .await
}

/// Seqs of the samples the hub applied for `id`, from its recent ring
/// (none while the machine is unknown).
pub async fn recent_seqs(http: &str, id: &str) -> Vec<u64> {
    let (status, body) = get_json(&format!("{http}/api/machines/{id}/recent")).await;
    if status == 404 {
        return Vec::new();
    }
    assert_eq!(status, 200, "{body}");
    body["points"].as_array().expect("points").iter().map(|p| p[3].as_u64().expect("seq")).collect()
}

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn ws_connect(http: &str) -> Ws {
    let url = format!("{}/ws", http.replacen("http", "ws", 1));
    tokio_tungstenite::connect_async(url).await.expect("websocket connects").0
}

/// The next JSON text frame.
pub async fn ws_next(ws: &mut Ws) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next()).await.expect("frame in time").expect("open").expect("ok");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).expect("frame is JSON");
        }
    }
}

/// Reads frames until one lists `id` satisfying `check`.
pub async fn ws_until(ws: &mut Ws, id: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "no frame with {id} matching");
        let frame = ws_next(ws).await;
        let found = frame["machines"].as_array().and_then(|ms| ms.iter().find(|m| m["machine_id"] == id).cloned());
        if let Some(m) = found.filter(|m| check(m)) {
            return m;
        }
    }
}

pub async fn ws_send_text(ws: &mut Ws, text: &str) {
    ws.send(Message::Text(text.into())).await.expect("send");
}

/// A protocol-level agent: sends exactly what a test says.
pub struct RawAgent {
    pub tx: mpsc::Sender<pb::AgentMessage>,
    pub inbound: tonic::Streaming<pb::HubMessage>,
}

pub fn hello(machine_id: &str, instance_id: &str) -> pb::AgentMessage {
    pb::AgentMessage {
        msg: Some(agent_message::Msg::Hello(pb::Hello {
            machine_id: machine_id.into(),
            instance_id: instance_id.into(),
            host: Some(pb::HostInfo { hostname: format!("{machine_id}-host"), cpu_cores: 4, ..Default::default() }),
            agent_version: "test".into(),
            interval_ms: 1000,
            dropped_samples: 0,
        })),
    }
}

pub fn sample(seq: u64) -> pb::AgentMessage {
    pb::AgentMessage {
        msg: Some(agent_message::Msg::Sample(pb::Sample {
            seq,
            timestamp_ms: sysmonstm_hub::now_ms(),
            cpu: Some(pb::CpuStats { total_percent: 10.0 + seq as f64, ..Default::default() }),
            memory: Some(pb::MemoryStats { total: 1 << 30, used: 1 << 29, percent: 50.0, ..Default::default() }),
            ..Default::default()
        })),
    }
}

impl RawAgent {
    /// Opens a stream and sends `first`; Err is the hub's refusal.
    pub async fn open(grpc: &str, token: Option<&str>, first: pb::AgentMessage) -> Result<RawAgent, tonic::Status> {
        let client = AgentIngestClient::connect(grpc.to_owned()).await.expect("gRPC connects");
        RawAgent::open_on(client, token, first).await
    }

    /// Like [`RawAgent::open`], over a client already connected (TLS, say).
    pub async fn open_on(
        mut client: AgentIngestClient<tonic::transport::Channel>,
        token: Option<&str>,
        first: pb::AgentMessage,
    ) -> Result<RawAgent, tonic::Status> {
        let (tx, rx) = mpsc::channel(64);
        tx.send(first).await.expect("queue first message");
        let mut request = tonic::Request::new(ReceiverStream::new(rx));
        if let Some(token) = token {
            request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().expect("ascii"));
        }
        let inbound = client.stream(request).await?.into_inner();
        Ok(RawAgent { tx, inbound })
    }

    pub async fn send(&self, message: pb::AgentMessage) {
        self.tx.send(message).await.expect("send");
    }

    /// The next message from the hub (Err: the stream's ending status).
    pub async fn next(&mut self) -> Result<Option<pb::HubMessage>, tonic::Status> {
        tokio::time::timeout(WAIT, self.inbound.message()).await.expect("hub answers in time")
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

pub mod postgres;
pub mod redis;
pub mod tls;

/// The hub binary, for tests that SIGKILL a hub.
pub const HUB_BIN: &str = env!("CARGO_BIN_EXE_sysmonstm-hub");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// The hub binary on loopback ports, without its own agent, plus `extra` flags.
pub fn spawn_hub(http: u16, grpc: u16, data: &std::path::Path, extra: &[&str]) -> std::process::Child {
    std::process::Command::new(HUB_BIN)
        .args(["--http-addr", &format!("127.0.0.1:{http}"), "--grpc-addr", &format!("127.0.0.1:{grpc}")])
        .args(["--no-local-agent", "--data-dir"])
        .arg(data)
        .args(extra)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("hub starts")
}

/// Per agent instance of `machine` in a stopped hub's SQLite file: (count,
/// distinct seqs, min seq, max seq), oldest instance first; wherever the
/// samples are kept (recent rows, sealed chunks).
#[allow(dead_code)]
pub fn sqlite_instances(db: &std::path::Path, machine: &str) -> Vec<(i64, i64, i64, i64)> {
    let conn = rusqlite::Connection::open(db).expect("open db");
    count_instances(sysmonstm_hub::store::sqlite_chunks::stored_samples(&conn, machine).expect("stored samples"))
}

/// Per agent instance of stored (instance_id, seq, ts): (stored, distinct
/// seqs, lowest seq, highest seq), in order of each one's first sample.
#[allow(dead_code)]
pub fn count_instances(stored: Vec<(String, u64, i64)>) -> Vec<(i64, i64, i64, i64)> {
    let mut by_instance: std::collections::BTreeMap<String, (i64, Vec<u64>)> = Default::default();
    for (instance, seq, ts) in stored {
        let entry = by_instance.entry(instance).or_insert((i64::MAX, Vec::new()));
        entry.0 = entry.0.min(ts);
        entry.1.push(seq);
    }
    let mut rows: Vec<(i64, (i64, i64, i64, i64))> = by_instance
        .into_values()
        .map(|(first_ts, mut seqs)| {
            let count = seqs.len() as i64;
            seqs.sort_unstable();
            let (min, max) = (seqs[0] as i64, seqs[seqs.len() - 1] as i64);
            seqs.dedup();
            (first_ts, (count, seqs.len() as i64, min, max))
        })
        .collect();
    rows.sort_unstable_by_key(|(ts, _)| *ts);
    rows.into_iter().map(|(_, r)| r).collect()
}
