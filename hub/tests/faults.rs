//! Fault injection, with real processes and sockets on loopback: an agent
//! killed and restarted, browsers that never read, random bytes on both
//! ports, a webhook endpoint that never answers. (Hub SIGKILL, PostgreSQL
//! restarts and Redis loss are in persistence.rs and multi_hub.rs.)

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;

const FAST: Duration = Duration::from_millis(200);
const ADMIN: &str = "fault-admin-token";

/// The agent binary next to the hub's (the workspace build makes both).
fn agent_bin() -> std::path::PathBuf {
    let path = std::path::Path::new(HUB_BIN).with_file_name("sysmonstm-agent");
    assert!(path.exists(), "{} missing: build the workspace first (cargo build --workspace)", path.display());
    path
}

fn spawn_agent(grpc_port: u16, machine: &str) -> Child {
    Command::new(agent_bin())
        .args(["--hub", &format!("http://127.0.0.1:{grpc_port}"), "--machine-id", machine, "--interval", "200ms"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("agent starts")
}

async fn latest_seq(http: &str, machine: &str) -> Option<u64> {
    let body: Value = reqwest::get(format!("{http}/api/machines/{machine}")).await.ok()?.json().await.ok()?;
    body["latest"]["seq"].as_u64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_killed_and_restarted_is_a_new_instance_and_old_samples_stay() {
    let dir = tempfile::tempdir().expect("dir");
    let (http_port, grpc_port) = (free_port(), free_port());
    let http = format!("http://127.0.0.1:{http_port}");
    let mut hub = spawn_hub(http_port, grpc_port, dir.path(), &[]);
    let mut agent = spawn_agent(grpc_port, "it-agent-kill");
    let old = eventually("30 samples from the first agent", || async {
        latest_seq(&http, "it-agent-kill").await.filter(|&s| s >= 30)
    })
    .await;
    agent.kill().expect("SIGKILL");
    agent.wait().expect("reaped");
    let mut again = spawn_agent(grpc_port, "it-agent-kill");
    // A new instance starts again at seq 1; wait for a few of its samples.
    eventually("the restarted agent streaming", || async {
        let (_, body) = get_json(&format!("{http}/api/machines/it-agent-kill")).await;
        (body["status"] == "online" && body["latest"]["seq"].as_u64().is_some_and(|s| (5..old).contains(&s)))
            .then_some(())
    })
    .await;
    again.kill().expect("SIGKILL");
    again.wait().expect("reaped");
    Command::new("kill").args(["-TERM", &hub.id().to_string()]).status().expect("kill");
    hub.wait().expect("hub stops");

    let stored = sqlite_instances(&dir.path().join("sysmonstm.db"), "it-agent-kill");
    assert_eq!(stored.len(), 2, "two instances: {stored:?}");
    for (count, distinct, min, max) in stored.iter().copied() {
        assert_eq!((count, min), (distinct, 1), "each instance from seq 1, nothing twice: {stored:?}");
        assert_eq!(count, max, "no gap within an instance: {stored:?}");
    }
    assert!(stored[0].3 as u64 >= old, "the first instance's samples are all still there: {stored:?}");
}

/// A WebSocket client that reads the snapshot and then nothing, with a tiny
/// receive buffer so the hub's side fills quickly.
async fn stalled_viewer(http: &str) -> tokio_tungstenite::WebSocketStream<tokio::net::TcpStream> {
    let addr: std::net::SocketAddr = http.trim_start_matches("http://").parse().expect("addr");
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("small buffer");
    let stream = socket.connect(addr).await.expect("connect");
    let (ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/ws"), stream).await.expect("upgrade");
    ws
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_browsers_that_never_read_do_not_delay_a_healthy_one() {
    let hub = TestHub::start();
    let mut stalled = Vec::new();
    for _ in 0..20 {
        stalled.push(stalled_viewer(&hub.http()).await);
    }
    let agents: Vec<TestAgent> = (0..20)
        .map(|i| TestAgent::start(&hub.grpc(), &format!("it-flood-{i:02}"), Duration::from_millis(100), None))
        .collect();
    let mut ws = ws_connect(&hub.http()).await;
    // Ten seconds of updates from 20 machines at 10 Hz: every one reaches the
    // healthy viewer within 1.5 s of its sample while 20 others never read.
    let started = Instant::now();
    let (mut updates, mut worst) = (0usize, 0i64);
    while started.elapsed() < Duration::from_secs(10) {
        let frame = ws_next(&mut ws).await;
        let now = sysmonstm_hub::now_ms();
        if frame["type"] != "update" {
            continue;
        }
        for machine in frame["machines"].as_array().expect("machines") {
            if let Some(ts) = machine["sample_ts"].as_i64() {
                worst = worst.max(now - ts);
                updates += 1;
            }
        }
    }
    assert!(updates > 500, "only {updates} updates reached the healthy viewer");
    assert!(worst < 1500, "an update took {worst} ms to reach the healthy viewer");
    drop(agents);
    drop(stalled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bytes_on_both_ports_leave_the_hub_healthy() {
    let hub = TestHub::start();
    let _agent = TestAgent::start(&hub.grpc(), "it-noise", FAST, None);
    wait_status(&hub.http(), "it-noise", "online").await;
    let targets = [hub.grpc_addr(), hub.handle().http_addr];
    let mut tasks = Vec::new();
    for round in 0..40u64 {
        let target = targets[(round % 2) as usize];
        tasks.push(tokio::spawn(async move {
            let Ok(mut socket) = tokio::net::TcpStream::connect(target).await else { return };
            // Some connections start like HTTP/2 or HTTP/1.1, then turn to noise.
            let prefix: &[u8] = match round % 4 {
                0 => b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                1 => b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n",
                _ => b"",
            };
            let mut noise = vec![0u8; 64 * 1024];
            rand::Rng::fill(&mut rand::rng(), &mut noise[..]);
            let _ = socket.write_all(prefix).await;
            let _ = socket.write_all(&noise).await;
            if round % 3 == 0 {
                // Half-open: keep it a moment without closing.
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("noise task");
    }
    // Still healthy: probes answer, the agent stays online, a new agent and a
    // new viewer get in.
    let (status, _) = get_json(&format!("{}/health", hub.http())).await;
    assert_eq!(status, 200);
    let before = latest_seq(&hub.http(), "it-noise").await.expect("seq");
    eventually("the first agent still streaming", || async {
        latest_seq(&hub.http(), "it-noise").await.filter(|&s| s > before + 3)
    })
    .await;
    let _second = TestAgent::start(&hub.grpc(), "it-after-noise", FAST, None);
    let mut ws = ws_connect(&hub.http()).await;
    ws_until(&mut ws, "it-after-noise", |m| m["status"] == "online").await;
}

async fn create_rule(http: &str, rule: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{http}/api/rules"))
        .bearer_auth(ADMIN)
        .json(&rule)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 201);
    response.json().await.expect("rule")
}

async fn firing_since(http: &str, rule_id: &str, created: Instant) -> Duration {
    eventually("the rule to fire", || async {
        let (_, alerts) = get_json(&format!("{http}/api/alerts?state=firing")).await;
        alerts.as_array()?.iter().any(|a| a["rule_id"] == rule_id).then(|| created.elapsed())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_webhook_does_not_delay_alerts() {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    config.admin_token = Some(ADMIN.into());
    config.allow_private_webhooks = true;
    let hub = TestHub::start_with(config, tempfile::tempdir().expect("dir"));
    let (hook, mut called) = webhook::hanging().await;
    let _agent = TestAgent::start(&hub.grpc(), "it-hang", FAST, None);
    wait_status(&hub.http(), "it-hang", "online").await;
    let rule = |name: &str, webhooks: Value| {
        json!({"name": name, "metric": "cpu_percent", "comparison": ">=", "threshold": 0, "for": "0s",
               "selector": "it-hang", "webhooks": webhooks})
    };
    let created = Instant::now();
    let hanging = create_rule(&hub.http(), rule("hangs", json!([hook]))).await;
    let first = firing_since(&hub.http(), hanging["id"].as_str().expect("id"), created).await;
    // The webhook of the first alert is now hanging (5 s timeout, retries).
    tokio::time::timeout(WAIT, called.recv()).await.expect("the webhook was called").expect("endpoint open");
    let created = Instant::now();
    let second = create_rule(&hub.http(), rule("after", json!([]))).await;
    let next = firing_since(&hub.http(), second["id"].as_str().expect("id"), created).await;
    assert!(first < Duration::from_secs(3) && next < Duration::from_secs(3), "fired after {first:?} and {next:?}");
    // And the hub is still answering its other work meanwhile.
    let mut ws = ws_connect(&hub.http()).await;
    let frame = ws_next(&mut ws).await;
    assert_eq!(frame["type"], "snapshot");
    let _ = ws.send(Message::Close(None)).await;
    let _ = ws.next().await;
}
