//! A fleet of simulated machines for trying the dashboard at scale:
//! `cargo run -p sysmonstm-hub --example fake_fleet -- --machines 1000`.
//!
//! Each machine is its own stream over the real protocol (sharing one HTTP/2
//! connection per 100 machines) and sends a random-walk sample every interval.
//! Not a load generator: it measures nothing (that is the bench crate's job).

use std::time::Duration;

use clap::Parser;
use sysmonstm_protocol::pb::{self, agent_ingest_client::AgentIngestClient, agent_message};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

/// Machines per HTTP/2 connection.
const PER_CONNECTION: usize = 100;
/// How long a hub still starting may take to listen.
const CONNECT_DEADLINE: Duration = Duration::from_secs(30);
/// Retry delays while it does not.
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(2);

/// A channel to the hub, retried while the hub is still starting (a hub
/// started a moment before, from a cold binary, may not listen yet).
async fn connect(hub: &str) -> anyhow::Result<tonic::transport::Channel> {
    let endpoint = tonic::transport::Endpoint::from_shared(hub.to_owned())?;
    let deadline = tokio::time::Instant::now() + CONNECT_DEADLINE;
    let mut backoff = sysmonstm_protocol::backoff::Backoff::new(RETRY_FIRST, RETRY_MAX);
    loop {
        match endpoint.connect().await {
            Ok(channel) => return Ok(channel),
            Err(e) if tokio::time::Instant::now() >= deadline => {
                return Err(anyhow::anyhow!("{hub} did not answer within {CONNECT_DEADLINE:?}: {e}"))
            }
            Err(_) => tokio::time::sleep(backoff.next_delay()).await,
        }
    }
}

#[derive(Parser)]
struct Args {
    /// Hub gRPC URL.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    hub: String,
    /// How many machines.
    #[arg(long, default_value_t = 1000)]
    machines: usize,
    /// Sampling interval.
    #[arg(long, default_value = "1s", value_parser = sysmonstm_protocol::duration::parse_positive)]
    interval: Duration,
    /// Stop after this long (default: run until interrupted).
    #[arg(long, value_parser = sysmonstm_protocol::duration::parse_positive)]
    duration: Option<Duration>,
}

fn message(msg: agent_message::Msg) -> pb::AgentMessage {
    pb::AgentMessage { msg: Some(msg) }
}

/// Next value of a bounded random walk.
fn walk(value: f64, step: f64) -> f64 {
    (value + (rand::random::<f64>() - 0.5) * step).clamp(0.0, 100.0)
}

async fn machine(channel: tonic::transport::Channel, index: usize, interval: Duration) -> Result<(), tonic::Status> {
    let id = format!("fake-{index:05}");
    let (tx, rx) = mpsc::channel(16);
    let hello = pb::Hello {
        machine_id: id.clone(),
        instance_id: format!("{:032x}", rand::random::<u128>()),
        host: Some(pb::HostInfo {
            hostname: id.clone(),
            os: "Simulated".into(),
            cpu_cores: 8,
            memory_total: 16 << 30,
            // Every fourth machine is a database, every other one in prod.
            labels: [
                ("role".to_owned(), if index.is_multiple_of(4) { "db" } else { "web" }.to_owned()),
                ("env".to_owned(), if index.is_multiple_of(2) { "prod" } else { "dev" }.to_owned()),
            ]
            .into(),
            ..Default::default()
        }),
        agent_version: "fake".into(),
        interval_ms: interval.as_millis() as u32,
        dropped_samples: 0,
    };
    let _ = tx.send(message(agent_message::Msg::Hello(hello))).await;
    let mut replies = AgentIngestClient::new(channel).stream(ReceiverStream::new(rx)).await?.into_inner();
    tokio::spawn(async move { while let Ok(Some(_)) = replies.message().await {} });
    let (mut cpu, mut mem) = (rand::random::<f64>() * 60.0, 20.0 + rand::random::<f64>() * 60.0);
    let mut ticker = tokio::time::interval(interval);
    for seq in 1.. {
        ticker.tick().await;
        cpu = walk(cpu, 10.0);
        mem = walk(mem, 2.0);
        let sample = pb::Sample {
            seq,
            timestamp_ms: sysmonstm_hub::now_ms(),
            cpu: Some(pb::CpuStats { total_percent: cpu, per_core_percent: vec![cpu; 8], ..Default::default() }),
            memory: Some(pb::MemoryStats {
                total: 16 << 30,
                used: ((16u64 << 30) as f64 * mem / 100.0) as u64,
                percent: mem,
                ..Default::default()
            }),
            disks: vec![pb::DiskUsage {
                mount_point: "/".into(),
                percent: 40.0 + (index % 50) as f64,
                ..Default::default()
            }],
            load: Some(pb::LoadAvg { load1: cpu / 12.5, load5: cpu / 14.0, load15: cpu / 16.0 }),
            process_count: 200 + (index % 100) as u32,
            ..Default::default()
        };
        if tx.send(message(agent_message::Msg::Sample(sample))).await.is_err() {
            break;
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut tasks = Vec::new();
    for first in (0..args.machines).step_by(PER_CONNECTION) {
        let channel = connect(&args.hub).await?;
        for index in first..(first + PER_CONNECTION).min(args.machines) {
            tasks.push(tokio::spawn(machine(channel.clone(), index, args.interval)));
        }
    }
    eprintln!("{} simulated machines streaming to {}", args.machines, args.hub);
    match args.duration {
        Some(d) => tokio::time::sleep(d).await,
        None => tokio::signal::ctrl_c().await?,
    }
    tasks.iter().for_each(|t| t.abort());
    Ok(())
}
