//! sysmonstm load generator: N simulated agents, each with its own
//! connection and stream over the real protocol, sending realistic samples
//! at an interval; M WebSocket clients measuring sample-to-browser latency;
//! the hub's CPU and RSS read from /proc.
//!
//! # Layout
//! - [`config`]: the flags and their defaults.
//! - [`sample`]: realistic samples (8 cores, 3 disks, 2 interfaces, 5 processes), jittered or walking.
//! - [`walk`]: `--values walk`, each value its own bounded random walk.
//! - [`agent`]: one simulated agent and its ack bookkeeping.
//! - [`browser`]: a WebSocket client measuring receive time − `sample_ts`.
//! - [`procfs`]: the hub's CPU time and RSS.
//! - [`monitor`]: RSS, storage queue and full-load CPU of the hub during a run.
//! - [`progress`]: one JSON line per interval during long runs (soak).
//! - [`report`]: results, the human table and the JSON line.

pub mod agent;
pub mod browser;
pub mod config;
pub mod monitor;
pub mod procfs;
pub mod progress;
pub mod report;
pub mod sample;
pub mod walk;

use std::sync::Arc;
use std::time::{Duration, Instant};

pub use config::LoadConfig;
use report::Backlog;
pub use report::Report;
use std::sync::atomic::Ordering;

/// How long agents wait for their last acks after sending stops: a busy hub
/// writes (and so acks) every few seconds, up to 5 s apart plus the write.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);

/// Runs a load test and reports what happened.
pub async fn run(config: LoadConfig) -> Report {
    let shared = Arc::new(agent::LoadCounters::default());
    let started = Instant::now();
    let send_until = started + config.ramp + config.duration;
    let cpu_before = config.hub_pid.and_then(procfs::cpu_seconds);
    let browsers: Vec<_> = (0..config.ws_clients)
        .filter_map(|_| config.ws_url.clone())
        .map(|url| tokio::spawn(browser::measure(url, shared.clone(), send_until + DRAIN_TIMEOUT)))
        .collect();
    let observed = Arc::new(monitor::Observed::default());
    let watcher = tokio::spawn(monitor::watch(
        config.hub_pid,
        config.ws_url.as_deref().and_then(monitor::http_addr),
        tokio::time::Instant::from_std(started + config.ramp),
        tokio::time::Instant::from_std(send_until),
        shared.clone(),
        observed.clone(),
    ));
    let progress = config
        .report_every
        .map(|every| tokio::spawn(progress::report(every, config.hub_pid, shared.clone(), started, send_until)));
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
    for task in browsers.into_iter().chain(progress) {
        task.abort();
    }
    let _ = watcher.await;
    let hub_cpu_cores = match (cpu_before, cpu_after) {
        (Some(before), Some(after)) => Some((after - before) / measured.as_secs_f64()),
        _ => None,
    };
    let mut report = Report::from_shared(&config, &shared, measured, hub_cpu_cores);
    report.hub_cpu_cores_full_load = observed.full_load_cores(config.duration);
    let (max, end) = (observed.max_backlog.load(Ordering::Relaxed), observed.backlog_at_end.load(Ordering::Relaxed));
    let series = observed.backlog_series.lock().map(|s| s.clone()).unwrap_or_default();
    report.storage_backlog = (end >= 0).then_some(Backlog { max, at_end: end, series });
    report
}
