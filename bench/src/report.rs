//! What a load run measured: a human table and one JSON line.

use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::agent::LoadCounters;
use crate::config::LoadConfig;

/// Values a sample carries (summary metrics plus per-core, disk, net, process fields).
pub const VALUES_PER_SAMPLE: u64 = 40;

#[derive(Debug, Clone, Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub agents: u64,
    pub connected: u64,
    pub interval_ms: u64,
    pub seconds: f64,
    pub samples_sent: u64,
    pub samples_acked: u64,
    pub errors: u64,
    pub error_messages: Vec<String>,
    pub samples_per_sec: f64,
    pub values_per_sec: f64,
    pub ack_ms: Option<Percentiles>,
    pub e2e_ms: Option<Percentiles>,
    /// Average over the whole run (ramp, full load, last acks).
    pub hub_cpu_cores: Option<f64>,
    /// Average over the full-load window (after the ramp, until sending stops).
    pub hub_cpu_cores_full_load: Option<f64>,
    pub hub_rss_mb: Option<f64>,
    /// The hub's storage queue (samples not yet written), from `/api/stats`.
    pub storage_backlog: Option<Backlog>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Backlog {
    pub max: i64,
    /// When sending stopped: a backlog that keeps growing ends high.
    pub at_end: i64,
    /// Every 5 s of full load.
    pub series: Vec<i64>,
}

fn percentiles(histogram: &Mutex<Histogram<u64>>) -> Option<Percentiles> {
    let h = histogram.lock().ok()?;
    if h.is_empty() {
        return None;
    }
    let ms = |us: u64| us as f64 / 1000.0;
    Some(Percentiles { p50: ms(h.value_at_quantile(0.5)), p99: ms(h.value_at_quantile(0.99)), max: ms(h.max()) })
}

impl Report {
    pub fn from_shared(
        config: &LoadConfig,
        shared: &LoadCounters,
        elapsed: Duration,
        hub_cpu_cores: Option<f64>,
    ) -> Report {
        let sent = shared.sent.load(Ordering::Relaxed);
        let seconds = config.duration.as_secs_f64();
        let rss = shared.max_rss_kib.load(Ordering::Relaxed);
        Report {
            agents: config.agents,
            connected: shared.connected.load(Ordering::Relaxed),
            interval_ms: config.interval.as_millis() as u64,
            seconds: elapsed.as_secs_f64(),
            samples_sent: sent,
            samples_acked: shared.acked.load(Ordering::Relaxed),
            errors: shared.errors.load(Ordering::Relaxed),
            error_messages: shared.error_messages.lock().map(|m| m.clone()).unwrap_or_default(),
            samples_per_sec: config.agents as f64 * 1000.0 / config.interval.as_millis().max(1) as f64,
            values_per_sec: config.agents as f64 * VALUES_PER_SAMPLE as f64 * 1000.0
                / config.interval.as_millis().max(1) as f64,
            ack_ms: percentiles(&shared.ack_us),
            e2e_ms: percentiles(&shared.e2e_us),
            hub_cpu_cores: hub_cpu_cores.filter(|_| seconds > 0.0),
            hub_cpu_cores_full_load: None,
            hub_rss_mb: (rss > 0).then(|| rss as f64 / 1024.0),
            storage_backlog: None,
        }
    }

    /// The human-readable table.
    pub fn table(&self) -> String {
        let p = |p: &Option<Percentiles>| {
            p.as_ref()
                .map_or("-".to_owned(), |p| format!("p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms", p.p50, p.p99, p.max))
        };
        let mut out = String::new();
        out.push_str(&format!(
            "agents            {} ({} connected), every {} ms\n",
            self.agents, self.connected, self.interval_ms
        ));
        out.push_str(&format!(
            "offered load      {:.0} samples/s, {:.0} values/s\n",
            self.samples_per_sec, self.values_per_sec
        ));
        out.push_str(&format!(
            "samples           {} sent, {} acked, {} errors\n",
            self.samples_sent, self.samples_acked, self.errors
        ));
        out.push_str(&format!("ack latency       {}\n", p(&self.ack_ms)));
        out.push_str(&format!("sample → browser  {}\n", p(&self.e2e_ms)));
        if let Some(cores) = self.hub_cpu_cores {
            out.push_str(&format!("hub CPU           {cores:.2} cores (whole run)"));
            if let Some(full) = self.hub_cpu_cores_full_load {
                out.push_str(&format!(", {full:.2} at full load"));
            }
            out.push('\n');
        }
        if let Some(backlog) = &self.storage_backlog {
            out.push_str(&format!(
                "storage queue     max {}, {} when sending stopped (every 5 s: {:?})\n",
                backlog.max, backlog.at_end, backlog.series
            ));
        }
        if let Some(rss) = self.hub_rss_mb {
            out.push_str(&format!("hub RSS (max)     {rss:.0} MB\n"));
        }
        for message in &self.error_messages {
            out.push_str(&format!("error             {message}\n"));
        }
        out
    }
}
