//! History queries: parsing `GET /api/machines/{id}/history` parameters and
//! choosing the resolution. Pure; the backends run the resulting [`Plan`].

use std::time::Duration;

use sysmonstm_protocol::clock::now_ms;

use crate::metrics;
use crate::when::parse_time;

/// Longest range answered from raw samples by `step=auto`.
pub const RAW_UP_TO: Duration = Duration::from_secs(3600);
/// Longest range answered from 1-minute rollups by `step=auto`.
pub const MINUTE_UP_TO: Duration = Duration::from_secs(2 * 86_400);
/// Most points `step=auto` returns; longer ranges are averaged into buckets.
pub const MAX_POINTS: i64 = 3000;
/// Most rows an explicit `step=raw` returns.
pub const MAX_RAW_ROWS: i64 = 100_000;
/// Default range: the last hour.
pub const DEFAULT_RANGE: Duration = Duration::from_secs(3600);

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;

/// Where a query reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Resolution {
    Raw,
    #[serde(rename = "1m")]
    Minute,
    #[serde(rename = "1h")]
    Hour,
}

impl Resolution {
    /// Width of one stored row, ms (raw rows have none).
    pub fn native_ms(self) -> i64 {
        match self {
            Resolution::Raw => 1,
            Resolution::Minute => MINUTE_MS,
            Resolution::Hour => HOUR_MS,
        }
    }
}

/// A validated query.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub metrics: Vec<&'static str>,
    pub from_ms: i64,
    pub to_ms: i64,
    pub resolution: Resolution,
    /// Rows are averaged into buckets this wide (ms); None returns rows as stored.
    pub bucket_ms: Option<i64>,
    pub limit: i64,
}

use crate::field_error::FieldError;

fn bad(field: &'static str, message: String) -> FieldError {
    FieldError::new(field, message)
}

/// Builds a plan from the raw parameters; `now` is injectable for tests.
pub fn plan(
    metrics_param: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    step: Option<&str>,
    now: Option<i64>,
) -> Result<Plan, FieldError> {
    let now = now.unwrap_or_else(now_ms);
    let metrics = match metrics_param.map(str::trim).filter(|m| !m.is_empty()) {
        None => vec!["cpu_percent", "memory_percent"],
        Some(list) => list
            .split(',')
            .map(|name| {
                metrics::find(name.trim()).map(|m| m.name).ok_or_else(|| {
                    let known: Vec<_> = metrics::METRICS.iter().map(|m| m.name).collect();
                    bad("metrics", format!("unknown metric `{}`; known: {}", name.trim(), known.join(", ")))
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let to_ms = to.map(|t| parse_time("to", t)).transpose()?.unwrap_or(now);
    let from_ms = from.map(|f| parse_time("from", f)).transpose()?.unwrap_or(to_ms - DEFAULT_RANGE.as_millis() as i64);
    if from_ms >= to_ms {
        return Err(bad("from", format!("from ({from_ms}) must be before to ({to_ms})")));
    }
    let range = to_ms - from_ms;
    let (resolution, auto) = match step.unwrap_or("auto") {
        "auto" => (auto_resolution(range), true),
        "raw" => (Resolution::Raw, false),
        "1m" => (Resolution::Minute, false),
        "1h" => (Resolution::Hour, false),
        other => return Err(bad("step", format!("unknown step `{other}`; use auto, raw, 1m or 1h"))),
    };
    let bucket_ms = if auto {
        let wanted = (range + MAX_POINTS - 1) / MAX_POINTS;
        (wanted > resolution.native_ms()).then(|| round_up(wanted, resolution.native_ms()))
    } else {
        None
    };
    Ok(Plan { metrics, from_ms, to_ms, resolution, bucket_ms, limit: MAX_RAW_ROWS })
}

/// Raw up to 1 hour, 1 minute up to 2 days, 1 hour beyond.
pub fn auto_resolution(range_ms: i64) -> Resolution {
    if range_ms <= RAW_UP_TO.as_millis() as i64 {
        Resolution::Raw
    } else if range_ms <= MINUTE_UP_TO.as_millis() as i64 {
        Resolution::Minute
    } else {
        Resolution::Hour
    }
}

/// The version-1 wide rows of a raw plan, for either backend: rows of
/// `(ts_ms, weight, values…)`. `epoch_ms` turns the `ts` column into ms
/// since the epoch (SQLite stores ms already); `param(n)` spells the n-th
/// bind parameter (`?n` or `$n`): machine_id, from, to, limit.
pub fn legacy_sql(plan: &Plan, epoch_ms: &str, param: fn(usize) -> String) -> String {
    format!(
        "SELECT {epoch_ms}, CAST(1 AS DOUBLE PRECISION), {} FROM samples WHERE {} ORDER BY ts LIMIT {}",
        plan.metrics.join(", "),
        range_filter(param),
        param(4)
    )
}

/// The stored rollup rows of a 1m or 1h plan, as [`legacy_sql`] spells
/// them, weighted by their samples; parameters machine_id, from, to (the
/// plan's limit counts buckets, applied when rows are combined).
pub fn rollup_sql(plan: &Plan, epoch_ms: &str, param: fn(usize) -> String) -> String {
    let table = if plan.resolution == Resolution::Hour { "samples_1h" } else { "samples_1m" };
    let cols: Vec<String> = plan.metrics.iter().map(|m| format!("{m}_avg")).collect();
    format!(
        "SELECT {epoch_ms}, CAST(samples AS DOUBLE PRECISION), {} FROM {table} WHERE {} ORDER BY ts",
        cols.join(", "),
        range_filter(param)
    )
}

fn range_filter(param: fn(usize) -> String) -> String {
    format!("machine_id = {} AND ts >= {} AND ts < {}", param(1), param(2), param(3))
}

fn round_up(value: i64, unit: i64) -> i64 {
    (value + unit - 1) / unit * unit
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn defaults_to_last_hour_raw() {
        let p = plan(None, None, None, None, Some(NOW)).expect("plan");
        assert_eq!((p.from_ms, p.to_ms), (NOW - 3_600_000, NOW));
        assert_eq!(p.resolution, Resolution::Raw);
        assert_eq!(p.metrics, vec!["cpu_percent", "memory_percent"]);
        // 1 h / 3000 points = 1.2 s buckets: a 1 Hz agent's samples stay apart or pair up.
        assert_eq!(p.bucket_ms, Some(1200));
    }

    #[test]
    fn auto_picks_resolution_by_range() {
        assert_eq!(auto_resolution(3_600_000), Resolution::Raw);
        assert_eq!(auto_resolution(3_600_001), Resolution::Minute);
        assert_eq!(auto_resolution(2 * 86_400_000), Resolution::Minute);
        assert_eq!(auto_resolution(2 * 86_400_000 + 1), Resolution::Hour);
        let day = plan(None, Some(&(NOW - 86_400_000).to_string()), Some(&NOW.to_string()), None, None).expect("plan");
        assert_eq!(day.resolution, Resolution::Minute);
        assert_eq!(day.bucket_ms, None, "1440 minutes fit");
        let month = plan(None, Some(&(NOW - 30 * 86_400_000).to_string()), Some(&NOW.to_string()), Some("auto"), None)
            .expect("plan");
        assert_eq!(month.resolution, Resolution::Hour);
        let week_minutes =
            plan(None, Some(&(NOW - 7 * 86_400_000).to_string()), Some(&NOW.to_string()), Some("1m"), None)
                .expect("plan");
        assert_eq!((week_minutes.resolution, week_minutes.bucket_ms), (Resolution::Minute, None));
    }

    #[test]
    fn auto_buckets_keep_points_bounded() {
        let two_years = 2 * 365 * 86_400_000_i64;
        let p = plan(None, Some(&(NOW - two_years).to_string()), Some(&NOW.to_string()), None, None).expect("plan");
        assert_eq!(p.resolution, Resolution::Hour);
        let bucket = p.bucket_ms.expect("two years of hours exceed the cap");
        assert_eq!(bucket % 3_600_000, 0);
        assert!((p.to_ms - p.from_ms) / bucket <= MAX_POINTS);
        let two_days =
            plan(None, Some(&(NOW - 2 * 86_400_000).to_string()), Some(&NOW.to_string()), None, None).expect("plan");
        assert_eq!(two_days.bucket_ms, None, "2880 minutes fit");
    }

    #[test]
    fn sql_reads_the_right_table() {
        let raw = plan(Some("cpu_percent"), None, None, Some("raw"), Some(NOW)).expect("plan");
        let sql = legacy_sql(&raw, "ts", |n| format!("?{n}"));
        assert!(sql.starts_with("SELECT ts, CAST(1 AS DOUBLE PRECISION), cpu_percent FROM samples WHERE"), "{sql}");
        assert!(sql.contains("machine_id = ?1 AND ts >= ?2 AND ts < ?3") && sql.ends_with("LIMIT ?4"), "{sql}");
        let month =
            plan(Some("load1"), Some(&(NOW - 2 * 365 * 86_400_000).to_string()), None, None, Some(NOW)).expect("plan");
        let sql = rollup_sql(&month, "E", |n| format!("${n}"));
        assert!(sql.starts_with("SELECT E, CAST(samples AS DOUBLE PRECISION), load1_avg FROM samples_1h"), "{sql}");
        assert!(sql.contains("machine_id = $1 AND ts >= $2 AND ts < $3") && !sql.contains("LIMIT"), "{sql}");
    }

    #[test]
    fn refuses_bad_parameters() {
        assert_eq!(plan(Some("cpu_percent,bogus"), None, None, None, Some(NOW)).unwrap_err().field, "metrics");
        assert_eq!(plan(None, Some("soon"), None, None, Some(NOW)).unwrap_err().field, "from");
        assert_eq!(plan(None, None, Some("x"), None, Some(NOW)).unwrap_err().field, "to");
        let reversed = plan(None, Some(&NOW.to_string()), Some(&(NOW - 1).to_string()), None, None).unwrap_err();
        assert_eq!(reversed.field, "from");
        assert_eq!(plan(None, None, None, Some("5m"), Some(NOW)).unwrap_err().field, "step");
    }
}
