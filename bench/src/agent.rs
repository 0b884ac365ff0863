//! One simulated agent: its own connection and stream (the protocol crate's
//! `RawAgent`, the tests' protocol-level agent too), Hello, a sample per
//! interval, and the acks: which seqs are held, and how long each took.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use hdrhistogram::Histogram;
use sysmonstm_protocol::pb::{self, agent_ingest_client::AgentIngestClient, hub_message};
use sysmonstm_protocol::raw_agent::{self, RawAgent};

use crate::config::LoadConfig;
use crate::sample::Source;
use crate::DRAIN_TIMEOUT;

/// Distinct error messages kept for the report.
const KEPT_ERRORS: usize = 5;

/// Counters all agents and probes share.
pub struct LoadCounters {
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    /// Acked samples as acks arrive (`acked` is summed when agents finish).
    pub acked_so_far: AtomicU64,
    pub errors: AtomicU64,
    pub connected: AtomicU64,
    pub max_rss_kib: AtomicU64,
    /// Send → ack, microseconds.
    pub ack_us: Mutex<Histogram<u64>>,
    /// Sample taken → browser received, microseconds.
    pub e2e_us: Mutex<Histogram<u64>>,
    /// The same two since the last progress line (`--report-every`).
    pub window_ack_us: Mutex<Histogram<u64>>,
    pub window_e2e_us: Mutex<Histogram<u64>>,
    pub error_messages: Mutex<Vec<String>>,
}

pub fn histogram() -> Histogram<u64> {
    // 1 µs .. 1 h, 3 significant digits: the bounds are constants that fit.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).unwrap_or_else(|_| Histogram::new(3).expect("histogram"))
}

impl Default for LoadCounters {
    fn default() -> Self {
        LoadCounters {
            sent: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            acked_so_far: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            connected: AtomicU64::new(0),
            max_rss_kib: AtomicU64::new(0),
            ack_us: Mutex::new(histogram()),
            e2e_us: Mutex::new(histogram()),
            window_ack_us: Mutex::new(histogram()),
            window_e2e_us: Mutex::new(histogram()),
            error_messages: Mutex::new(Vec::new()),
        }
    }
}

impl LoadCounters {
    pub fn error(&self, message: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut kept) = self.error_messages.lock() {
            if kept.len() < KEPT_ERRORS && !kept.contains(&message) {
                kept.push(message);
            }
        }
    }

    pub fn record(histogram: &Mutex<Histogram<u64>>, micros: u64) {
        if let Ok(mut h) = histogram.lock() {
            let _ = h.record(micros.max(1));
        }
    }

    pub fn observe_rss(&self, kib: u64) {
        self.max_rss_kib.fetch_max(kib, Ordering::Relaxed);
    }
}

use sysmonstm_protocol::clock::now_ms;

/// Runs agent `index` until `send_until`, then waits for its last acks.
pub async fn run(index: u64, config: &LoadConfig, shared: &Arc<LoadCounters>, send_until: Instant) {
    if let Err(e) = stream(index, config, shared, send_until).await {
        shared.error(e);
    }
}

async fn stream(
    index: u64,
    config: &LoadConfig,
    shared: &Arc<LoadCounters>,
    send_until: Instant,
) -> Result<(), String> {
    let channel = tonic::transport::Endpoint::from_shared(config.hub.clone())
        .map_err(|e| e.to_string())?
        .tcp_nodelay(true)
        .connect()
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let hello = raw_agent::hello(pb::Hello {
        machine_id: format!("{}-{index:05}", config.prefix),
        instance_id: format!("{:032x}", rand::random::<u128>()),
        host: Some(pb::HostInfo {
            hostname: format!("{}-{index:05}", config.prefix),
            os: "Loadgen".into(),
            cpu_cores: 8,
            memory_total: 16 << 30,
            ..Default::default()
        }),
        agent_version: "loadgen".into(),
        interval_ms: config.interval.as_millis() as u32,
        dropped_samples: 0,
    });
    let mut agent = RawAgent::open(AgentIngestClient::new(channel), None, hello)
        .await
        .map_err(|s| format!("stream: {}", s.message()))?;
    agent.welcome().await?;
    let RawAgent { outbound: tx, mut inbound } = agent;
    shared.connected.fetch_add(1, Ordering::Relaxed);
    let in_flight: Arc<Mutex<VecDeque<(u64, Instant)>>> = Arc::new(Mutex::new(VecDeque::new()));
    let acked = Arc::new(AtomicU64::new(0));
    let reader = {
        let (in_flight, acked, shared) = (in_flight.clone(), acked.clone(), shared.clone());
        async move {
            while let Ok(Some(message)) = inbound.message().await {
                if let Some(hub_message::Msg::Ack(ack)) = message.msg {
                    let before = acked.fetch_max(ack.seq, Ordering::Relaxed);
                    shared.acked_so_far.fetch_add(ack.seq.saturating_sub(before), Ordering::Relaxed);
                    let now = Instant::now();
                    let mut pending = in_flight.lock().map_err(|_| "poisoned".to_owned())?;
                    while pending.front().is_some_and(|(seq, _)| *seq <= ack.seq) {
                        if let Some((_, sent)) = pending.pop_front() {
                            let micros = now.duration_since(sent).as_micros() as u64;
                            LoadCounters::record(&shared.ack_us, micros);
                            LoadCounters::record(&shared.window_ack_us, micros);
                        }
                    }
                }
            }
            Ok::<(), String>(())
        }
    };
    let reader = tokio::spawn(reader);
    let mut ticker = tokio::time::interval(config.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seq = 0u64;
    let mut source = Source::new(config.values, index);
    while Instant::now() < send_until {
        ticker.tick().await;
        seq += 1;
        if let Ok(mut pending) = in_flight.lock() {
            pending.push_back((seq, Instant::now()));
        }
        if tx.send(raw_agent::sample(source.next(seq, now_ms()))).await.is_err() {
            return Err("the hub closed the stream".into());
        }
        shared.sent.fetch_add(1, Ordering::Relaxed);
    }
    let drain_until = Instant::now() + DRAIN_TIMEOUT;
    while acked.load(Ordering::Relaxed) < seq && Instant::now() < drain_until {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let held = acked.load(Ordering::Relaxed);
    shared.acked.fetch_add(held.min(seq), Ordering::Relaxed);
    drop(tx);
    reader.abort();
    if held < seq {
        return Err(format!("{} of {seq} samples not acked within {}s", seq - held, DRAIN_TIMEOUT.as_secs()));
    }
    Ok(())
}
