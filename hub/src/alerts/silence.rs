//! Silences and maintenance windows (`/api/silences`): while one is active
//! and matches an alert, its notifications are held back (the alert is
//! still recorded, marked silenced).
//!
//! A silence holds from `starts_at` to `ends_at` (ms or RFC 3339, at most a
//! year). A maintenance window recurs instead: `"recurring": {"days":
//! ["sat", "sun"], "start": "22:00", "duration": "4h", "time_zone":
//! "Europe/Berlin"}` holds on each of those days from that local time for
//! that long (across midnight too), in that zone's time, summer time
//! included. Either matches alerts by machine glob (`machines`), labels the
//! machine carries, and optionally one rule. Expiring one (DELETE) ends it
//! now; it stays listed. Pure: time is passed in.

use std::time::Duration;

use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::input::{object, only_known, refuse, string};
use crate::field_error::FieldError;
use crate::labels::{self, Labels};

/// Longest silence.
pub const MAX_SILENCE: Duration = Duration::from_secs(366 * 24 * 3600);
/// Longest maintenance window (one occurrence).
pub const MAX_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);
/// Longest comment, bytes.
pub const MAX_COMMENT: usize = 2000;

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Monday),
    ("tue", Weekday::Tuesday),
    ("wed", Weekday::Wednesday),
    ("thu", Weekday::Thursday),
    ("fri", Weekday::Friday),
    ("sat", Weekday::Saturday),
    ("sun", Weekday::Sunday),
];

/// A weekly maintenance window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recurring {
    /// `mon` … `sun`.
    pub days: Vec<String>,
    /// Local start, `HH:MM`.
    pub start: String,
    #[serde(with = "humantime_serde")]
    pub duration: Duration,
    /// An IANA zone (`Europe/Berlin`, `UTC`).
    pub time_zone: String,
}

mod humantime_serde {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        humantime::parse_duration(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Silence {
    pub id: String,
    /// Glob on machine ids.
    pub machines: String,
    /// Labels the machine must carry, each with this value.
    pub labels: Labels,
    /// Only this rule's alerts (None: every rule's).
    pub rule_id: Option<String>,
    /// A one-off silence's span (ms); None for a maintenance window.
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub recurring: Option<Recurring>,
    pub comment: String,
    /// Who made it (`admin:` and the token's fingerprint, or the name given).
    pub created_by: String,
    pub created_at: i64,
    /// When it was expired early (DELETE), if it was.
    pub expired_at: Option<i64>,
}

/// Where a silence stands at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SilenceState {
    /// Holding notifications back now.
    Active,
    /// Not yet started, or a window between occurrences.
    Pending,
    /// Over (ended, or expired).
    Expired,
}

impl Silence {
    /// Whether it holds notifications of `rule_id` on `machine_id` (with `labels`) back.
    pub fn matches(&self, rule_id: &str, machine_id: &str, labels: &Labels) -> bool {
        self.rule_id.as_deref().is_none_or(|r| r == rule_id)
            && self.labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && (self.machines == "*" || glob::Pattern::new(&self.machines).is_ok_and(|p| p.matches(machine_id)))
    }

    pub fn state(&self, now: i64) -> SilenceState {
        if self.expired_at.is_some_and(|at| at <= now) {
            return SilenceState::Expired;
        }
        match (&self.recurring, self.starts_at, self.ends_at) {
            (Some(window), _, _) => {
                if window_holds(window, now) {
                    SilenceState::Active
                } else {
                    SilenceState::Pending
                }
            }
            (None, Some(start), Some(_)) if now < start => SilenceState::Pending,
            (None, Some(_), Some(end)) if now < end => SilenceState::Active,
            _ => SilenceState::Expired,
        }
    }

    pub fn active(&self, now: i64) -> bool {
        self.state(now) == SilenceState::Active
    }

    /// What a GET shows: the silence and where it stands.
    pub fn view(&self, now: i64) -> Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        value["state"] = serde_json::to_value(self.state(now)).unwrap_or_default();
        value
    }
}

fn weekday(name: &str) -> Option<Weekday> {
    DAYS.iter().find(|(n, _)| *n == name).map(|(_, d)| *d)
}

/// Whether an occurrence of `window` holds at `now` (ms): one that began
/// on a listed day, at most `duration` ago.
pub fn window_holds(window: &Recurring, now: i64) -> bool {
    let (Ok(tz), Ok(start)) = (TimeZone::get(&window.time_zone), parse_start(&window.start)) else { return false };
    let Ok(now_ts) = jiff::Timestamp::from_millisecond(now) else { return false };
    let today = now_ts.to_zoned(tz.clone()).date();
    let span_days = window.duration.as_secs().div_ceil(24 * 3600) as i64;
    (0..=span_days).any(|back| {
        let Ok(day) = today.checked_sub(jiff::Span::new().days(back)) else { return false };
        if !window.days.iter().filter_map(|d| weekday(d)).any(|d| d == day.weekday()) {
            return false;
        }
        let Ok(began) = day.to_datetime(start).to_zoned(tz.clone()) else { return false };
        let began_ms = began.timestamp().as_millisecond();
        began_ms <= now && now < began_ms + window.duration.as_millis() as i64
    })
}

fn parse_start(text: &str) -> Result<Time, String> {
    let (h, m) = text.split_once(':').ok_or_else(|| format!("`{text}` is not HH:MM"))?;
    let (h, m): (i8, i8) = (
        h.parse().map_err(|_| format!("`{text}` is not HH:MM"))?,
        m.parse().map_err(|_| format!("`{text}` is not HH:MM"))?,
    );
    Time::new(h, m, 0, 0).map_err(|_| format!("`{text}` is not a time of day (00:00 to 23:59)"))
}

/// Every field a silence takes.
const FIELDS: &[&str] = &[
    "id",
    "machines",
    "labels",
    "rule_id",
    "starts_at",
    "ends_at",
    "recurring",
    "comment",
    "created_by",
    "created_at",
    "expired_at",
    "state",
];

fn time(map: &serde_json::Map<String, Value>, field: &str) -> Result<Option<i64>, FieldError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| refuse(field, "must be whole milliseconds")),
        Some(Value::String(s)) => crate::when::parse_time(field, s).map(Some),
        Some(other) => Err(refuse(field, format!("must be ms since the epoch or an RFC 3339 time, got {other}"))),
    }
}

fn recurring(value: &Value) -> Result<Recurring, FieldError> {
    let field = |name: &str| format!("recurring.{name}");
    let map =
        value.as_object().ok_or_else(|| refuse("recurring", "must be an object (days, start, duration, time_zone)"))?;
    if let Some(unknown) = map.keys().find(|k| !["days", "start", "duration", "time_zone"].contains(&k.as_str())) {
        return Err(refuse("recurring", format!("unknown field `{unknown}`")));
    }
    let days: Vec<String> = match map.get("days") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|d| match d.as_str().map(str::to_lowercase) {
                Some(day) if weekday(&day).is_some() => Ok(day),
                _ => Err(refuse(&field("days"), format!("{d} is not one of mon, tue, wed, thu, fri, sat, sun"))),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(refuse(&field("days"), "is required: a list of mon … sun")),
    };
    let start =
        map.get("start").and_then(Value::as_str).ok_or_else(|| refuse(&field("start"), "is required (HH:MM)"))?;
    parse_start(start).map_err(|m| refuse(&field("start"), m))?;
    let duration_text = map
        .get("duration")
        .and_then(Value::as_str)
        .ok_or_else(|| refuse(&field("duration"), "is required (e.g. 4h)"))?;
    let duration = humantime::parse_duration(duration_text)
        .map_err(|e| refuse(&field("duration"), format!("`{duration_text}` is not a duration ({e})")))?;
    if duration < Duration::from_secs(60) || duration > MAX_WINDOW {
        return Err(refuse(&field("duration"), "must be from 1m to 7d"));
    }
    let time_zone = map.get("time_zone").and_then(Value::as_str).unwrap_or("UTC").trim().to_owned();
    TimeZone::get(&time_zone).map_err(|_| {
        refuse(&field("time_zone"), format!("`{time_zone}` is not a time zone (write e.g. Europe/Berlin)"))
    })?;
    let mut unique = Vec::new();
    for day in days {
        if !unique.contains(&day) {
            unique.push(day);
        }
    }
    Ok(Recurring { days: unique, start: start.to_owned(), duration, time_zone })
}

/// What the server sets on a new silence.
#[derive(Debug, Clone)]
pub struct Made {
    pub id: String,
    pub created_by: String,
    pub now: i64,
}

/// Builds a silence from JSON input; `rule_exists` says whether a rule id names a rule.
pub fn from_input(input: &Value, made: Made, rule_exists: impl Fn(&str) -> bool) -> Result<Silence, FieldError> {
    let map = object(input)?;
    only_known(map, FIELDS)?;
    let machines = string(map, "machines")?.map(str::trim).filter(|m| !m.is_empty()).unwrap_or("*").to_owned();
    glob::Pattern::new(&machines).map_err(|e| refuse("machines", format!("`{machines}` is not a glob ({e})")))?;
    let labels = match map.get("labels") {
        None | Some(Value::Null) => Labels::new(),
        Some(value) => labels::from_json("labels", value)?,
    };
    let rule_id = string(map, "rule_id")?.map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
    if let Some(rule) = &rule_id {
        if !rule_exists(rule) {
            return Err(refuse("rule_id", format!("no rule `{rule}`")));
        }
    }
    let comment = string(map, "comment")?.unwrap_or("").trim().to_owned();
    if comment.len() > MAX_COMMENT {
        return Err(refuse("comment", format!("is longer than {MAX_COMMENT} bytes")));
    }
    let (starts_at, ends_at, recurring) = match map.get("recurring").filter(|v| !v.is_null()) {
        Some(value) => {
            if map.get("ends_at").is_some_and(|v| !v.is_null()) {
                return Err(refuse("ends_at", "a maintenance window recurs: give `recurring` or `ends_at`, not both"));
            }
            (None, None, Some(recurring(value)?))
        }
        None => {
            let starts_at = time(map, "starts_at")?.unwrap_or(made.now);
            let ends_at = time(map, "ends_at")?.ok_or_else(|| refuse("ends_at", "is required (or `recurring`)"))?;
            if ends_at <= starts_at {
                return Err(refuse("ends_at", "is not after starts_at"));
            }
            if ends_at.saturating_sub(starts_at) > MAX_SILENCE.as_millis() as i64 {
                return Err(refuse("ends_at", "is more than a year after starts_at"));
            }
            if ends_at <= made.now {
                return Err(refuse("ends_at", "is in the past"));
            }
            (Some(starts_at), Some(ends_at), None)
        }
    };
    Ok(Silence {
        id: made.id,
        machines,
        labels,
        rule_id,
        starts_at,
        ends_at,
        recurring,
        comment,
        created_by: made.created_by,
        created_at: made.now,
        expired_at: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_764_806_400_000; // 2025-12-04T00:00:00Z, a Thursday

    fn made() -> Made {
        Made { id: "s1".into(), created_by: "admin:abcd".into(), now: NOW }
    }

    fn build(input: Value) -> Result<Silence, FieldError> {
        from_input(&input, made(), |r| r == "default-cpu")
    }

    /// Milliseconds of a UTC wall time.
    fn utc(text: &str) -> i64 {
        text.parse::<jiff::Timestamp>().expect("timestamp").as_millisecond()
    }

    #[test]
    fn a_silence_holds_between_its_times_for_what_it_matches() {
        let s = build(json!({"machines": "web-*", "labels": {"env": "prod"}, "rule_id": "default-cpu",
            "ends_at": NOW + 7_200_000, "comment": "deploy"}))
        .expect("valid");
        let prod: Labels = [("env".to_owned(), "prod".to_owned())].into();
        assert!(s.matches("default-cpu", "web-1", &prod));
        assert!(!s.matches("default-disk", "web-1", &prod), "another rule");
        assert!(!s.matches("default-cpu", "db-1", &prod), "another machine");
        assert!(!s.matches("default-cpu", "web-1", &Labels::new()), "without the label");
        assert_eq!(
            (s.state(NOW - 1), s.state(NOW), s.state(NOW + 7_199_999)),
            (SilenceState::Pending, SilenceState::Active, SilenceState::Active)
        );
        assert_eq!(s.state(NOW + 7_200_000), SilenceState::Expired);
        let mut expired = s.clone();
        expired.expired_at = Some(NOW + 1000);
        assert_eq!(expired.state(NOW + 1000), SilenceState::Expired);
    }

    #[test]
    fn bad_input_names_its_field() {
        let field = |input: Value| build(input).expect_err("refused").field;
        assert_eq!(field(json!({"starts_at": NOW + 5000, "ends_at": NOW + 1000})), "ends_at");
        assert_eq!(field(json!({"ends_at": NOW + 400 * 24 * 3_600_000})), "ends_at", "longer than a year");
        assert_eq!(field(json!({"ends_at": NOW - 1})), "ends_at", "already over");
        assert_eq!(field(json!({})), "ends_at");
        // Found by thinking like the fuzzer: extremes must not overflow.
        assert_eq!(field(json!({"starts_at": i64::MIN, "ends_at": i64::MAX})), "ends_at");
        assert_eq!(field(json!({"ends_at": "tomorrow"})), "ends_at");
        assert_eq!(field(json!({"ends_at": NOW + 1000, "rule_id": "nope"})), "rule_id");
        assert_eq!(field(json!({"ends_at": NOW + 1000, "machines": "[web"})), "machines");
        assert_eq!(field(json!({"ends_at": NOW + 1000, "labels": {"Env": "x"}})), "labels.Env");
        let window = |w: Value| json!({"recurring": w});
        assert_eq!(field(window(json!({"days": ["funday"], "start": "22:00", "duration": "4h"}))), "recurring.days");
        assert_eq!(field(window(json!({"days": ["sat"], "start": "25:00", "duration": "4h"}))), "recurring.start");
        assert_eq!(field(window(json!({"days": ["sat"], "start": "22:00", "duration": "9d"}))), "recurring.duration");
        assert_eq!(
            field(window(json!({"days": ["sat"], "start": "22:00", "duration": "4h", "time_zone": "Mars/Olympus"}))),
            "recurring.time_zone"
        );
        let rfc =
            build(json!({"starts_at": "2025-12-04T01:00:00Z", "ends_at": "2025-12-04T03:00:00Z"})).expect("RFC 3339");
        assert_eq!(rfc.starts_at, Some(NOW + 3_600_000));
    }

    #[test]
    fn a_window_across_midnight_in_a_zone_with_summer_time() {
        // Fridays from 22:00 Berlin time for 4 hours: into Saturday 02:00.
        let s = build(json!({"recurring": {"days": ["fri"], "start": "22:00", "duration": "4h",
            "time_zone": "Europe/Berlin"}}))
        .expect("valid window");
        // Winter (UTC+1): Friday 2025-12-05 22:00 Berlin = 21:00 UTC.
        assert_eq!(s.state(utc("2025-12-05T20:59:00Z")), SilenceState::Pending);
        assert_eq!(s.state(utc("2025-12-05T21:00:00Z")), SilenceState::Active);
        assert_eq!(s.state(utc("2025-12-06T00:30:00Z")), SilenceState::Active, "after midnight, Saturday");
        assert_eq!(s.state(utc("2025-12-06T00:59:59Z")), SilenceState::Active);
        assert_eq!(s.state(utc("2025-12-06T01:00:00Z")), SilenceState::Pending, "02:00 Berlin: over");
        assert_eq!(s.state(utc("2025-12-04T21:30:00Z")), SilenceState::Pending, "a Thursday");
        // Summer (UTC+2): Friday 2026-07-03 22:00 Berlin = 20:00 UTC.
        assert_eq!(s.state(utc("2026-07-03T19:59:00Z")), SilenceState::Pending);
        assert_eq!(s.state(utc("2026-07-03T20:00:00Z")), SilenceState::Active);
        assert_eq!(s.state(utc("2026-07-03T23:59:00Z")), SilenceState::Active, "01:59 Berlin");
        assert_eq!(s.state(utc("2026-07-04T00:00:00Z")), SilenceState::Pending, "02:00 Berlin");
    }
}
