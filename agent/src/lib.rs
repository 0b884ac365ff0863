//! sysmonstm agent: samples this machine once a second (heim) and streams
//! the samples to a hub over one gRPC bidirectional stream, keeping every
//! sample until the hub acks it.
//!
//! Used as a binary (`sysmonstm-agent`) and as a library: the hub runs one
//! for its own machine through [`run`].
//!
//! # Layout
//! - [`config`]: flags / environment and the validated [`AgentConfig`].
//! - [`collectors`]: one file per reading (cpu, memory, disk, diskio, network,
//!   load, processes, tcp, host); [`collectors::Collector`] takes a whole sample.
//! - [`rates`]: pure counter-to-rate and percentage arithmetic.
//! - [`buffer`]: the bounded unacked-sample buffer.
//! - [`outbox`]: the unacked buffer + wake-up the sampler and client share.
//! - [`sampler`]: the sampling loop (interval changes live).
//! - [`client`]: the stream client and its reconnect loop.
//! - [`backoff`]: the reconnect delays (the shared backoff, fully jittered).

pub mod backoff;
pub mod buffer;
pub mod client;
pub mod collectors;
pub mod config;
pub mod outbox;
pub mod rates;
pub mod sampler;

use std::sync::Arc;
use std::time::Duration;

use slog::{info, Logger};
use sysmonstm_protocol::model::Sample;
use tokio::sync::watch;

pub use config::{AgentArgs, AgentConfig};

/// A random id for this agent process: seqs restart at 1 with each instance.
pub fn new_instance_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Runs the agent until `shutdown` turns true. Never returns because the hub is away.
pub async fn run(config: AgentConfig, log: Logger, shutdown: watch::Receiver<bool>) {
    let instance_id = new_instance_id();
    let log = log.new(slog::o!("machine_id" => config.machine_id.clone()));
    let mut host = collectors::host_info_or_default(&log).await;
    host.labels = config.labels.clone();
    info!(log, "agent starting"; "instance_id" => &instance_id, "interval_ms" => config.interval.as_millis() as u64,
        "buffer_samples" => config.buffer_samples, "version" => sysmonstm_protocol::VERSION);
    let outbox = Arc::new(outbox::Outbox::new(config.buffer_samples));
    let (interval_tx, interval_rx) = watch::channel(config.interval);
    let collector = collectors::Collector::new(log.clone(), config.rootfs.clone());
    let sampler = tokio::spawn(sampler::run(outbox.clone(), collector, interval_rx, shutdown.clone(), log.clone()));
    let client = client::Client {
        config,
        instance_id,
        host,
        outbox: outbox.clone(),
        interval: interval_tx,
        log: log.clone(),
        current: 0,
    };
    client.run(shutdown).await;
    let _ = sampler.await;
    info!(log, "agent stopped"; "unacked" => outbox.len(), "dropped_total" => outbox.dropped());
}

/// Takes one sample `interval` after priming the counters (for `--once`).
pub async fn sample_once(interval: Duration, rootfs: Option<std::path::PathBuf>, log: Logger) -> Sample {
    let mut collector = collectors::Collector::new(log, rootfs);
    collector.collect(0).await;
    tokio::time::sleep(interval).await;
    collector.collect(1).await
}
