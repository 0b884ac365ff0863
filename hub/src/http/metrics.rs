//! `GET /metrics`: Prometheus text format (the `prometheus` crate), so an
//! existing Prometheus/Grafana can scrape the hub and, through per-machine
//! gauges, the whole fleet. Values are read from the hub's counters at
//! scrape time into a registry built for that scrape.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use actix_web::{web, HttpResponse};
use prometheus::{
    Counter, Encoder, GaugeVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};
use sysmonstm_protocol::model::{MachineStatus, MachineSummary};

use super::{ApiError, AppState};
use crate::actors::registry::ListMachines;
use crate::events::MachineUpdate;
use crate::labels::Labels;
use crate::stats::Stats;
use crate::store::status::StoreStatus;

fn metric_error(e: prometheus::Error) -> ApiError {
    ApiError::Store(format!("metrics: {e}"))
}

/// A per-machine gauge: name suffix, help, value.
type MachineGauge = (&'static str, &'static str, fn(&MachineSummary) -> f64);

/// The per-machine gauges.
const MACHINE_GAUGES: &[MachineGauge] = &[
    ("up", "1 while the machine streams samples, 0 when offline", |s| {
        f64::from(u8::from(s.status == MachineStatus::Online))
    }),
    ("cpu_percent", "CPU busy, percent", |s| s.cpu_percent),
    ("memory_percent", "memory used, percent", |s| s.memory_percent),
    ("memory_used_bytes", "memory used, bytes", |s| s.memory_used as f64),
    ("disk_percent", "fullest filesystem, percent", |s| s.disk_percent),
    ("load1", "1-minute load average", |s| s.load1),
    ("load5", "5-minute load average", |s| s.load5),
    ("load15", "15-minute load average", |s| s.load15),
    ("net_rx_bytes_per_second", "received bytes/s", |s| s.net_rx_bps),
    ("net_tx_bytes_per_second", "sent bytes/s", |s| s.net_tx_bps),
    ("processes", "processes", |s| f64::from(s.process_count)),
    ("last_sample_timestamp_seconds", "when the agent took the latest sample", |s| s.sample_ts as f64 / 1000.0),
];

pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let machines = state.registry.send(ListMachines).await?;
    let (stats, store) = (state.stats.clone(), state.store_status.clone());
    // A fleet's gauges take tens of milliseconds to encode (2 MB at 2,000
    // machines): off the HTTP worker, whose browser sessions keep flowing.
    let body = web::block(move || render(&machines, &stats, &store)).await.map_err(|_| ApiError::Unavailable)??;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(body))
}

/// The store's size (as last measured) and what `--max-disk` dropped.
fn storage(registry: &Registry, store: &StoreStatus) -> Result<(), ApiError> {
    let dropped = IntCounterVec::new(
        Opts::new(
            "sysmonstm_store_dropped_for_space_total",
            "stored data dropped to stay under --max-disk, oldest first",
        ),
        &["kind"],
    )
    .map_err(metric_error)?;
    let kinds = ["raw_chunks", "raw_v1_rows", "minute_rows", "hour_rows"];
    for (kind, counter) in kinds.iter().zip(&store.dropped_for_space) {
        dropped.with_label_values(&[kind]).inc_by(counter.load(Ordering::Relaxed));
    }
    registry.register(Box::new(dropped)).map_err(metric_error)?;
    let Some(usage) = store.usage() else { return Ok(()) };
    let mut plain = vec![
        ("sysmonstm_store_size_bytes", "bytes the store takes on disk (file and WAL, or database)", usage.total_bytes),
        ("sysmonstm_store_raw_samples", "raw samples held (sealed, recent and version-1)", usage.raw_samples),
        (
            "sysmonstm_store_version1_rows",
            "version-1 rows not yet converted into chunks (after an upgrade)",
            usage.version1_rows,
        ),
    ];
    if let Some(limit) = usage.limit_bytes {
        plain.push(("sysmonstm_store_limit_bytes", "--max-disk", limit));
    }
    for (name, help, value) in plain {
        let gauge = IntGauge::new(name, help).map_err(metric_error)?;
        gauge.set(value as i64);
        registry.register(Box::new(gauge)).map_err(metric_error)?;
    }
    let tables =
        IntGaugeVec::new(Opts::new("sysmonstm_store_table_size_bytes", "bytes per table with its indexes"), &["table"])
            .map_err(metric_error)?;
    for t in &usage.tables {
        tables.with_label_values(&[t.table.as_str()]).set(t.bytes as i64);
    }
    registry.register(Box::new(tables)).map_err(metric_error)?;
    let oldest = GaugeVec::new(
        Opts::new("sysmonstm_store_oldest_timestamp_seconds", "oldest data held per resolution"),
        &["resolution"],
    )
    .map_err(metric_error)?;
    for (resolution, ms) in [("raw", usage.oldest_raw_ms), ("1m", usage.oldest_minute_ms), ("1h", usage.oldest_hour_ms)]
    {
        if let Some(ms) = ms {
            oldest.with_label_values(&[resolution]).set(ms as f64 / 1000.0);
        }
    }
    registry.register(Box::new(oldest)).map_err(metric_error)?;
    Ok(())
}

/// Notifications per channel kind and outcome (tests of a channel too).
fn notifications(registry: &Registry, s: &Stats) -> Result<(), ApiError> {
    let counter = IntCounterVec::new(
        Opts::new("sysmonstm_notifications_total", "notifications per channel kind: sent, or failed after retries"),
        &["kind", "outcome"],
    )
    .map_err(metric_error)?;
    for kind in crate::alerts::channel::Kind::ALL {
        let (sent, failed) = s.notified(kind);
        counter.with_label_values(&[kind.name(), "sent"]).inc_by(sent);
        counter.with_label_values(&[kind.name(), "failed"]).inc_by(failed);
    }
    registry.register(Box::new(counter)).map_err(metric_error)?;
    Ok(())
}

/// The whole scrape, in Prometheus text format.
fn render(machines: &[Arc<MachineUpdate>], s: &Stats, store: &StoreStatus) -> Result<Vec<u8>, ApiError> {
    let registry = Registry::new();
    let relaxed = Ordering::Relaxed;
    let counters = [
        ("sysmonstm_samples_received_total", "samples received from agents", s.samples_received.load(relaxed)),
        ("sysmonstm_samples_stored_total", "samples committed to the store (and acked)", store.stored.load(relaxed)),
        (
            "sysmonstm_agent_samples_dropped_total",
            "samples agents dropped because their buffer was full (as reported at connect)",
            s.agent_samples_dropped.load(relaxed),
        ),
        ("sysmonstm_storage_batches_total", "batches committed", store.batches.load(relaxed)),
        ("sysmonstm_alert_evaluations_total", "alert rule evaluations", s.alert_evaluations.load(relaxed)),
        ("sysmonstm_webhooks_delivered_total", "webhooks delivered", s.webhooks_delivered.load(relaxed)),
        ("sysmonstm_webhooks_failed_total", "webhooks failed after retries", s.webhooks_failed.load(relaxed)),
        (
            "sysmonstm_grpc_connections_refused_total",
            "gRPC connections closed on arrival: --max-agent-connections reached",
            s.grpc_connections_refused.load(relaxed),
        ),
        (
            "sysmonstm_agent_streams_refused_total",
            "agent streams refused: missing or wrong token, or a machine id outside the token's globs",
            s.agent_streams_refused.load(relaxed),
        ),
    ];
    for (name, help, value) in counters {
        let counter = IntCounter::new(name, help).map_err(metric_error)?;
        counter.inc_by(value);
        registry.register(Box::new(counter)).map_err(metric_error)?;
    }
    let gauges = [
        ("sysmonstm_storage_queue_depth", "samples waiting to be written", store.backlog.load(relaxed) as i64),
        ("sysmonstm_agents_connected", "agent streams open", s.agents_connected.load(relaxed)),
        (
            "sysmonstm_alerts_silenced",
            "firing alerts a silence or maintenance window holds back",
            s.alerts_silenced.load(relaxed),
        ),
        ("sysmonstm_browser_sessions", "dashboard WebSocket sessions", s.browser_sessions.load(relaxed)),
        ("sysmonstm_machines", "machines known", machines.len() as i64),
    ];
    for (name, help, value) in gauges {
        let gauge = IntGauge::new(name, help).map_err(metric_error)?;
        gauge.set(value);
        registry.register(Box::new(gauge)).map_err(metric_error)?;
    }
    storage(&registry, store)?;
    notifications(&registry, s)?;
    let batch_seconds = Counter::new("sysmonstm_storage_batch_seconds_total", "seconds spent committing batches")
        .map_err(metric_error)?;
    batch_seconds.inc_by(store.batch_seconds_total.lock().map(|t| *t).unwrap_or(0.0));
    registry.register(Box::new(batch_seconds)).map_err(metric_error)?;
    let exported = ExportedLabels::of(machines.iter().map(|u| &u.summary.labels));
    let mut names = vec!["machine_id", "hostname"];
    names.extend(exported.names.iter().map(String::as_str));
    for (name, help, read) in MACHINE_GAUGES {
        let vec = GaugeVec::new(Opts::new(format!("sysmonstm_machine_{name}"), *help), &names).map_err(metric_error)?;
        for update in machines {
            let summary = &update.summary;
            let mut values = vec![summary.machine_id.as_str(), summary.hostname.as_str()];
            values.extend(exported.values(&summary.labels));
            vec.with_label_values(&values).set(read(summary));
        }
        registry.register(Box::new(vec)).map_err(metric_error)?;
    }
    let mut body = Vec::new();
    TextEncoder::new().encode(&registry.gather(), &mut body).map_err(metric_error)?;
    Ok(body)
}

/// A machine label key as a Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`):
/// `.` and `-` become `_`; a name that would clash with the gauges' own
/// labels, start with a digit or with `__` (reserved) is prefixed `label_`.
pub fn prometheus_name(key: &str) -> String {
    let name: String = key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    let clashes = matches!(name.as_str(), "machine_id" | "hostname");
    if clashes || name.starts_with("__") || name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("label_{name}")
    } else {
        name
    }
}

/// The machine labels every per-machine gauge carries: the union of the
/// fleet's keys (a machine without one exports it empty, which Prometheus
/// reads as absent). Two keys with one Prometheus name: the first wins.
struct ExportedLabels {
    names: Vec<String>,
    /// For each name, the key it exports.
    keys: Vec<String>,
}

impl ExportedLabels {
    fn of<'a>(sets: impl Iterator<Item = &'a Labels>) -> Self {
        let mut by_name = std::collections::BTreeMap::new();
        for labels in sets {
            for key in labels.keys() {
                by_name.entry(prometheus_name(key)).or_insert_with(|| key.clone());
            }
        }
        let (names, keys) = by_name.into_iter().unzip();
        ExportedLabels { names, keys }
    }

    fn values<'a>(&'a self, labels: &'a Labels) -> impl Iterator<Item = &'a str> {
        self.keys.iter().map(|k| labels.get(k).map_or("", String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_keys_follow_prometheus_naming() {
        assert_eq!(prometheus_name("env"), "env");
        assert_eq!(prometheus_name("k8s.io-zone"), "k8s_io_zone");
        assert_eq!(prometheus_name("2fa"), "label_2fa");
        assert_eq!(prometheus_name("__x"), "label___x");
        assert_eq!(prometheus_name("hostname"), "label_hostname");
        assert_eq!(prometheus_name("machine-id"), "label_machine_id");
    }

    #[test]
    fn every_machine_exports_the_fleets_label_names() {
        let web: Labels = [("env".to_owned(), "prod".to_owned()), ("role".to_owned(), "web".to_owned())].into();
        let db: Labels = [("env".to_owned(), "dev".to_owned()), ("a.b".to_owned(), "1".to_owned())].into();
        let exported = ExportedLabels::of([&web, &db].into_iter());
        assert_eq!(exported.names, ["a_b", "env", "role"]);
        assert_eq!(exported.values(&web).collect::<Vec<_>>(), ["", "prod", "web"]);
        assert_eq!(exported.values(&db).collect::<Vec<_>>(), ["1", "dev", ""]);
    }
}
