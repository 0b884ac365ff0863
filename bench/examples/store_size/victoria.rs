//! The same samples pushed to VictoriaMetrics over its JSON-line import
//! API (`/api/v1/import`), to compare bytes on disk and CPU per value.
//!
//! Every number of a sample becomes a series: its field path is the
//! metric name (`cpu_per_core_percent`), its list position a label
//! (`i="3"`), the machine a label; strings (names, mount points) are not
//! values and are left out, as a Prometheus exporter would put them in
//! labels that never change.

use std::collections::BTreeMap;

use serde_json::Value;
use sysmonstm_protocol::model::Sample;

/// One series of a batch: its labels and its points.
#[derive(Default)]
struct Series {
    timestamps: Vec<i64>,
    values: Vec<f64>,
}

/// The numbers of `value` under `path`, as (metric name, list position).
fn numbers(path: &str, index: Option<usize>, value: &Value, out: &mut Vec<(String, Option<usize>, f64)>) {
    match value {
        Value::Number(n) => out.push((path.to_owned(), index, n.as_f64().unwrap_or(0.0))),
        Value::Object(map) => {
            for (key, v) in map {
                let name = if path.is_empty() { key.clone() } else { format!("{path}_{key}") };
                numbers(&name, index, v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                numbers(path, Some(i), v, out);
            }
        }
        _ => {}
    }
}

/// Series the samples of a batch make (machine id, sample).
fn series(batch: &[(String, Sample)]) -> BTreeMap<(String, String, Option<usize>), Series> {
    let mut out: BTreeMap<(String, String, Option<usize>), Series> = BTreeMap::new();
    let mut values = Vec::new();
    for (machine, sample) in batch {
        values.clear();
        let json = serde_json::to_value(sample).unwrap_or(Value::Null);
        numbers("", None, &json, &mut values);
        for (name, index, v) in values.drain(..) {
            if name == "seq" || name == "timestamp_ms" {
                continue;
            }
            let s = out.entry((name, machine.clone(), index)).or_default();
            s.timestamps.push(sample.timestamp_ms);
            s.values.push(v);
        }
    }
    out
}

/// Values per sample as VictoriaMetrics stores them.
pub fn values_per_sample(sample: &Sample) -> usize {
    let mut values = Vec::new();
    numbers("", None, &serde_json::to_value(sample).unwrap_or(Value::Null), &mut values);
    values.iter().filter(|(n, _, _)| n != "seq" && n != "timestamp_ms").count()
}

/// Pushes a batch; returns the values sent.
pub async fn push(client: &reqwest::Client, url: &str, batch: &[(String, Sample)]) -> anyhow::Result<usize> {
    let mut body = String::new();
    let mut sent = 0;
    for ((name, machine, index), s) in series(batch) {
        let mut metric = serde_json::json!({ "__name__": name, "machine": machine });
        if let Some(i) = index {
            metric["i"] = Value::from(i.to_string());
        }
        sent += s.values.len();
        body.push_str(
            &serde_json::json!({ "metric": metric, "values": s.values, "timestamps": s.timestamps }).to_string(),
        );
        body.push('\n');
    }
    let answer = client.post(format!("{url}/api/v1/import")).body(body).send().await?;
    anyhow::ensure!(answer.status().is_success(), "VictoriaMetrics import: {}", answer.status());
    Ok(sent)
}

/// Makes VictoriaMetrics write what it buffers and merge its parts, so its
/// data directory shows what the data really takes.
pub async fn settle(client: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    for path in ["/internal/force_flush", "/internal/force_merge"] {
        client.get(format!("{url}{path}")).send().await?;
    }
    // force_merge runs in the background; give it time to finish.
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    client.get(format!("{url}/internal/force_flush")).send().await?;
    Ok(())
}

/// Bytes under `dir`.
pub fn dir_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// CPU seconds a process has used (user + system), from /proc.
pub fn process_cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    // Fields after the command name (which may hold spaces) start after ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of stat: 12 and 13 after the state.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) / hz.max(1.0)
}
