//! sysmonstm load generator: N simulated agents, each with its own
//! connection and stream over the real protocol, sending realistic samples
//! at an interval; M WebSocket clients measuring sample-to-browser latency;
//! the hub's CPU and RSS read from /proc.
//!
//! # Layout
//! - [`config`]: the flags and their defaults.
//! - [`sample`]: realistic samples (8 cores, 3 disks, 2 interfaces, 5 processes).
//! - [`agent`]: one simulated agent and its ack bookkeeping.
//! - [`browser`]: a WebSocket client measuring receive time − `sample_ts`.
//! - [`procfs`]: the hub's CPU time and RSS.
//! - [`report`]: results, the human table and the JSON line.

pub mod agent;
pub mod browser;
pub mod config;
pub mod procfs;
pub mod report;
pub mod sample;

use std::sync::Arc;
use std::time::{Duration, Instant};

pub use config::LoadConfig;
pub use report::Report;

/// How long agents wait for their last acks after sending stops.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the hub's RSS is sampled.
const RSS_POLL: Duration = Duration::from_millis(500);

/// Runs a load test and reports what happened.
pub async fn run(config: LoadConfig) -> Report {
    let shared = Arc::new(agent::Shared::default());
    let started = Instant::now();
    let send_until = started + config.ramp + config.duration;
    let cpu_before = config.hub_pid.and_then(procfs::cpu_seconds);
    let browsers: Vec<_> = (0..config.ws_clients)
        .filter_map(|_| config.ws_url.clone())
        .map(|url| tokio::spawn(browser::measure(url, shared.clone(), send_until + DRAIN_TIMEOUT)))
        .collect();
    let rss = config.hub_pid.map(|pid| {
        let shared = shared.clone();
        tokio::spawn(async move {
            while Instant::now() < send_until {
                if let Some(kb) = procfs::rss_kib(pid) {
                    shared.observe_rss(kb);
                }
                tokio::time::sleep(RSS_POLL).await;
            }
        })
    });
    let agents: Vec<_> = (0..config.agents)
        .map(|i| {
            let delay =
                if config.agents > 1 { config.ramp.mul_f64(i as f64 / config.agents as f64) } else { Duration::ZERO };
            let (config, shared) = (config.clone(), shared.clone());
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                agent::run(i, &config, &shared, send_until).await;
            })
        })
        .collect();
    for task in agents {
        let _ = task.await;
    }
    let measured = started.elapsed();
    let cpu_after = config.hub_pid.and_then(procfs::cpu_seconds);
    for task in browsers {
        task.abort();
    }
    if let Some(task) = rss {
        task.abort();
    }
    let hub_cpu_cores = match (cpu_before, cpu_after) {
        (Some(before), Some(after)) => Some((after - before) / measured.as_secs_f64()),
        _ => None,
    };
    Report::from_shared(&config, &shared, measured, hub_cpu_cores)
}
