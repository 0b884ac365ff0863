//! Rollups computed from samples, and history points combined into
//! buckets (pure; both backends use them).
//!
//! Sealing adds every sample it seals to the 1-minute and 1-hour buckets of
//! its machine ([`Rollups`]); the backend merges each bucket into its row
//! (`samples` added, averages weighted by samples, maxima of maxima), in
//! the same transaction that moves the samples into a chunk, so a sample is
//! counted in a rollup exactly once. History answers combine stored rows
//! with what is not sealed yet ([`combine`]).

use std::collections::BTreeMap;

use sysmonstm_protocol::model::{HostInfo, Sample};

use super::Points;
use crate::metrics::{self, METRICS};

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 3_600_000;

/// One bucket being filled: samples, and per metric (in `METRICS` order) sum and max.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub samples: i64,
    pub sum: Vec<f64>,
    pub max: Vec<f64>,
}

impl Bucket {
    fn new() -> Self {
        Bucket { samples: 0, sum: vec![0.0; METRICS.len()], max: vec![f64::NEG_INFINITY; METRICS.len()] }
    }

    fn add(&mut self, values: &[f64]) {
        self.samples += 1;
        for (i, v) in values.iter().enumerate() {
            self.sum[i] += v;
            self.max[i] = self.max[i].max(*v);
        }
    }

    /// Averages, in `METRICS` order.
    pub fn avg(&self) -> impl Iterator<Item = f64> + '_ {
        self.sum.iter().map(|s| s / self.samples.max(1) as f64)
    }
}

/// The start of the bucket `width` ms wide holding `ts`.
pub fn bucket_start(ts: i64, width: i64) -> i64 {
    ts.div_euclid(width) * width
}

/// The buckets a sealing run adds to, per machine.
#[derive(Debug, Default)]
pub struct Rollups {
    pub minute: BTreeMap<(String, i64), Bucket>,
    pub hour: BTreeMap<(String, i64), Bucket>,
}

impl Rollups {
    pub fn add(&mut self, machine_id: &str, sample: &Sample, host: &HostInfo) {
        let values = metrics::values(sample, host);
        let ts = sample.timestamp_ms;
        for (table, width) in [(&mut self.minute, MINUTE_MS), (&mut self.hour, HOUR_MS)] {
            table.entry((machine_id.to_owned(), bucket_start(ts, width))).or_insert_with(Bucket::new).add(&values);
        }
    }
}

/// The statement merging one bucket into a rollup table (`samples_1m` or
/// `samples_1h`): parameters machine_id, ts, samples, then avg and max of
/// every metric in `METRICS` order. `param(n)` spells the n-th parameter,
/// `greatest` the two-argument maximum (`max` in SQLite, `GREATEST` in
/// PostgreSQL).
pub fn merge_sql(table: &str, param: fn(usize) -> String, greatest: &str) -> String {
    let mut names = vec!["machine_id".to_owned(), "ts".to_owned(), "samples".to_owned()];
    let mut sets = vec![format!("samples = {table}.samples + excluded.samples")];
    for m in METRICS {
        names.push(format!("{}_avg", m.name));
        names.push(format!("{}_max", m.name));
        sets.push(format!(
            "{0}_avg = ({table}.{0}_avg * {table}.samples + excluded.{0}_avg * excluded.samples) \
             / ({table}.samples + excluded.samples)",
            m.name
        ));
        sets.push(format!("{0}_max = {greatest}({table}.{0}_max, excluded.{0}_max)", m.name));
    }
    let marks: Vec<String> = (1..=names.len()).map(param).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT (machine_id, ts) DO UPDATE SET {}",
        names.join(", "),
        marks.join(", "),
        sets.join(", ")
    )
}

/// The two statements rolling version-1 wide rows up from a time on
/// (once, at the upgrade): `samples` into `samples_1m`, then `samples_1m`
/// into `samples_1h`, replacing the buckets they recompute. Each backend
/// spells a bucket's start (`minute`, `hour`: expressions of `ts`) and the
/// one parameter, the time from which (`since_minute`, `since_hour`:
/// truncated to the bucket).
pub fn legacy_rollup_sql(minute: &str, hour: &str, since_minute: &str, since_hour: &str) -> [String; 2] {
    let targets = METRICS.iter().map(|m| format!("{0}_avg, {0}_max", m.name)).collect::<Vec<_>>().join(", ");
    let updates = METRICS
        .iter()
        .map(|m| format!("{0}_avg = excluded.{0}_avg, {0}_max = excluded.{0}_max", m.name))
        .collect::<Vec<_>>()
        .join(", ");
    let from_rows = METRICS.iter().map(|m| format!("avg({0}), max({0})", m.name)).collect::<Vec<_>>().join(", ");
    let from_minutes = METRICS
        .iter()
        .map(|m| format!("sum({0}_avg * samples) / sum(samples), max({0}_max)", m.name))
        .collect::<Vec<_>>()
        .join(", ");
    let statement = |table: &str, bucket: &str, count: &str, sources: &str, source: &str, since: &str| {
        format!(
            "INSERT INTO {table} (machine_id, ts, samples, {targets})
             SELECT machine_id, {bucket} AS bucket, {count}, {sources}
             FROM {source} WHERE ts >= {since} GROUP BY machine_id, bucket
             ON CONFLICT (machine_id, ts) DO UPDATE SET samples = excluded.samples, {updates}"
        )
    };
    [
        statement("samples_1m", minute, "count(*)", &from_rows, "samples", since_minute),
        statement("samples_1h", hour, "sum(samples)", &from_minutes, "samples_1m", since_hour),
    ]
}

/// A point of a history answer: its time, how many samples it stands for,
/// and its values in plan order.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub ts: i64,
    pub weight: f64,
    pub values: Vec<f64>,
}

/// Points sorted by time; with `width`, the points of one bucket
/// (`ts / width`) become one: the earliest time, values averaged weighted
/// by samples. At most `limit` points come back.
pub fn combine(mut points: Vec<Point>, width: Option<i64>, limit: usize) -> Points {
    points.sort_by_key(|p| p.ts);
    let mut out: Vec<Point> = Vec::new();
    for p in points {
        match (out.last_mut(), width) {
            (Some(last), Some(w)) if last.ts.div_euclid(w) == p.ts.div_euclid(w) => {
                let total = last.weight + p.weight;
                for (a, b) in last.values.iter_mut().zip(&p.values) {
                    *a = if total > 0.0 { (*a * last.weight + b * p.weight) / total } else { *a };
                }
                last.weight = total;
            }
            _ => {
                if out.len() == limit {
                    break;
                }
                out.push(p);
            }
        }
    }
    out.into_iter().map(|p| (p.ts, p.values.into_iter().map(Some).collect())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(ts: i64, cpu: f64) -> Sample {
        let mut s = Sample { timestamp_ms: ts, ..Sample::default() };
        s.cpu.total_percent = cpu;
        s
    }

    #[test]
    fn samples_fill_minute_and_hour_buckets() {
        let host = HostInfo::default();
        let mut r = Rollups::default();
        for (ts, cpu) in [(0, 10.0), (59_999, 30.0), (60_000, 50.0), (3_600_000, 70.0)] {
            r.add("m", &sample(ts, cpu), &host);
        }
        let cpu = METRICS.iter().position(|m| m.name == "cpu_percent").expect("cpu");
        let first = &r.minute[&("m".to_owned(), 0)];
        assert_eq!((first.samples, first.avg().nth(cpu), first.max[cpu]), (2, Some(20.0), 30.0));
        assert_eq!(r.minute.len(), 3);
        let hour = &r.hour[&("m".to_owned(), 0)];
        assert_eq!((hour.samples, hour.avg().nth(cpu)), (3, Some(30.0)));
        assert_eq!(r.hour[&("m".to_owned(), 3_600_000)].samples, 1);
        assert_eq!(bucket_start(-1, MINUTE_MS), -MINUTE_MS);
    }

    #[test]
    fn combine_weights_and_limits() {
        let p = |ts, weight, v| Point { ts, weight, values: vec![v] };
        // A stored minute (50 samples at 10) and the same minute's unsealed rest (10 at 70).
        let points = vec![p(60_000, 10.0, 70.0), p(0, 1.0, 5.0), p(60_000, 50.0, 10.0)];
        assert_eq!(
            combine(points.clone(), Some(MINUTE_MS), 10),
            vec![(0, vec![Some(5.0)]), (60_000, vec![Some(20.0)])]
        );
        assert_eq!(combine(points.clone(), None, 10).len(), 3, "raw rows stay apart");
        assert_eq!(combine(points, Some(MINUTE_MS), 1), vec![(0, vec![Some(5.0)])]);
    }
}
