//! Collectors: one file per kind of reading, all through heim (plus /proc
//! where heim has no reading). [`Collector`] runs them all for one sample.
//!
//! A collector that fails is logged (once until it recovers) and counted; the
//! sample goes out with what the others read.

mod cpu;
mod disk;
mod diskio;
mod host;
mod load;
mod memory;
mod network;
mod processes;
mod tcp;

use std::collections::HashMap;
use std::time::Instant;

use slog::{info, warn, Logger};
use sysmonstm_protocol::model::{HostInfo, Sample};

pub use host::host_info;

/// Why one collector could not read.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("heim: {0}")]
    Heim(#[from] heim::Error),
    #[error("{path}: {source}")]
    Io { path: &'static str, source: std::io::Error },
}

/// The collectors and the counters they keep between samples.
pub struct Collector {
    log: Logger,
    /// The host's root filesystem, for an agent in a container.
    rootfs: Option<std::path::PathBuf>,
    cpu: cpu::CpuCollector,
    disk_io: diskio::DiskIoCollector,
    network: network::NetworkCollector,
    processes: processes::ProcessCollector,
    /// Collectors failing right now, so each failure is logged once.
    failing: HashMap<&'static str, String>,
    /// Collector failures since start.
    errors_total: u64,
}

impl Collector {
    pub fn new(log: Logger, rootfs: Option<std::path::PathBuf>) -> Self {
        Collector {
            log,
            rootfs,
            cpu: cpu::CpuCollector::default(),
            disk_io: diskio::DiskIoCollector::default(),
            network: network::NetworkCollector::default(),
            processes: processes::ProcessCollector::default(),
            failing: HashMap::new(),
            errors_total: 0,
        }
    }

    /// Collector failures since the agent started.
    pub fn errors_total(&self) -> u64 {
        self.errors_total
    }

    /// Reads one sample. Rates are relative to the previous call; the first
    /// call primes the counters and reports rates of zero.
    pub async fn collect(&mut self, seq: u64) -> Sample {
        let now = Instant::now();
        let mut sample = Sample { seq, timestamp_ms: now_ms(), ..Sample::default() };
        let mut errors = 0u32;

        let cpu = self.cpu.collect(now).await;
        self.record("cpu", cpu, &mut errors, |cpu| sample.cpu = cpu);
        let memory = memory::collect().await;
        self.record("memory", memory, &mut errors, |m| sample.memory = m);
        let disks = disk::collect(self.rootfs.as_deref()).await;
        self.record("disk", disks, &mut errors, |d| sample.disks = d);
        let io = self.disk_io.collect(now).await;
        self.record("disk_io", io, &mut errors, |(devices, read, write)| {
            sample.disk_io = devices;
            sample.disk_read_bps = read;
            sample.disk_write_bps = write;
        });
        let net = self.network.collect(now).await;
        self.record("network", net, &mut errors, |(nics, rx, tx)| {
            sample.net = nics;
            sample.net_rx_bps = rx;
            sample.net_tx_bps = tx;
        });
        let load = load::collect().await;
        self.record("load", load, &mut errors, |l| sample.load = l);
        let procs = self.processes.collect(now).await;
        self.record("processes", procs, &mut errors, |(count, top)| {
            sample.process_count = count;
            sample.top_processes = top;
        });
        let tcp = tcp::collect();
        self.record("tcp", tcp, &mut errors, |n| sample.tcp_connections = n);
        let uptime = host::uptime_secs().await;
        self.record("uptime", uptime, &mut errors, |u| sample.uptime_secs = u);

        sample.collector_errors = errors;
        sample
    }

    /// Applies a collector's reading, or logs and counts its failure.
    fn record<T>(
        &mut self,
        name: &'static str,
        result: Result<T, CollectError>,
        errors: &mut u32,
        apply: impl FnOnce(T),
    ) {
        match result {
            Ok(value) => {
                apply(value);
                if self.failing.remove(name).is_some() {
                    info!(self.log, "collector recovered"; "collector" => name);
                }
            }
            Err(e) => {
                *errors += 1;
                self.errors_total += 1;
                let message = e.to_string();
                if self.failing.get(name) != Some(&message) {
                    warn!(self.log, "collector failed; the sample goes out without it";
                        "collector" => name, "error" => &message);
                    self.failing.insert(name, message);
                }
            }
        }
    }
}

/// Reads host info, logging and defaulting what cannot be read.
pub async fn host_info_or_default(log: &Logger) -> HostInfo {
    match host_info().await {
        Ok(host) => host,
        Err(e) => {
            warn!(log, "could not read host info"; "error" => %e);
            HostInfo::default()
        }
    }
}

pub use sysmonstm_protocol::clock::now_ms;
