//! Alert rules: the model, JSON input validation and defaults.
//!
//! Input is checked field by field from the JSON object, so every refusal
//! names the field it is about (`{"error": …, "field": …}` → 422).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::labels::{self, Labels};

/// The metric of offline rules: fires when a machine has been offline for `for`.
pub const OFFLINE: &str = "offline";
/// Longest rule name, bytes.
pub const MAX_NAME: usize = 200;
/// Longest description, bytes.
pub const MAX_DESCRIPTION: usize = 2000;
/// Most webhooks per rule.
pub const MAX_WEBHOOKS: usize = 10;
/// Most channels per rule.
pub const MAX_CHANNELS: usize = 20;
/// How long alerts of one group are gathered before they go out together.
pub const DEFAULT_GROUP_WAIT: Duration = Duration::from_secs(30);
/// Longest group wait.
pub const MAX_GROUP_WAIT: Duration = Duration::from_secs(3600);
/// Shortest and longest repeat interval.
pub const MIN_REPEAT: Duration = Duration::from_secs(60);
pub const MAX_REPEAT: Duration = Duration::from_secs(30 * 24 * 3600);
/// Most labels a rule groups by.
pub const MAX_GROUP_BY: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparison {
    #[serde(rename = ">")]
    Greater,
    #[serde(rename = ">=")]
    GreaterOrEqual,
    #[serde(rename = "<")]
    Less,
    #[serde(rename = "<=")]
    LessOrEqual,
}

impl Comparison {
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Greater => value > threshold,
            Comparison::GreaterOrEqual => value >= threshold,
            Comparison::Less => value < threshold,
            Comparison::LessOrEqual => value <= threshold,
        }
    }

    fn upward(self) -> bool {
        matches!(self, Comparison::Greater | Comparison::GreaterOrEqual)
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            ">" => Comparison::Greater,
            ">=" => Comparison::GreaterOrEqual,
            "<" => Comparison::Less,
            "<=" => Comparison::LessOrEqual,
            _ => return None,
        })
    }
}

/// How a rule judges its metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// The value against `threshold` (with `clear_threshold`).
    #[default]
    Threshold,
    /// Where the value is heading: fires when the least-squares line over
    /// `window` reaches `threshold` (default 100) within `horizon`.
    Predict,
}

/// The level a predictive rule projects toward, unless it names another.
pub const PREDICT_LEVEL: f64 = 100.0;
/// A predictive alert resolves once the projected time is this much past the horizon.
pub const PREDICT_CLEAR_FACTOR: f64 = 1.25;
/// Shortest horizon and window of a predictive rule; longest of each.
pub const MIN_PREDICT: Duration = Duration::from_secs(10);
pub const MAX_HORIZON: Duration = Duration::from_secs(90 * 24 * 3600);
pub const MAX_WINDOW: Duration = Duration::from_secs(30 * 24 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Critical,
}

impl Severity {
    /// As written in JSON and stored.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub name: String,
    /// A metric (`cpu_percent`), one part of a machine
    /// (`disk_percent{mount="/data"}`, a glob allowed), or `offline`.
    pub metric: String,
    #[serde(default)]
    pub kind: RuleKind,
    /// Predictive rules: how far ahead to look, and over how much of the
    /// past the line is fitted.
    #[serde(default, with = "humantime_option")]
    pub horizon: Option<Duration>,
    #[serde(default, with = "humantime_option")]
    pub window: Option<Duration>,
    /// None for offline rules.
    pub comparison: Option<Comparison>,
    pub threshold: Option<f64>,
    /// Where the value must come back to before the alert resolves.
    pub clear_threshold: Option<f64>,
    #[serde(rename = "for", with = "humantime_serde")]
    pub for_: Duration,
    #[serde(with = "humantime_serde")]
    pub clear_for: Duration,
    pub severity: Severity,
    /// Glob on machine_id.
    pub selector: String,
    /// Labels a machine must carry, each with this value, besides matching
    /// `selector` (rules stored before labels existed have none).
    #[serde(default)]
    pub labels: Labels,
    pub enabled: bool,
    /// Unsigned webhook URLs (kept from before channels; each is delivered
    /// as a webhook channel without a secret).
    pub webhooks: Vec<String>,
    /// Ids of the notification channels it notifies (checked to exist by
    /// the alert engine, which holds them).
    #[serde(default)]
    pub channels: Vec<String>,
    /// Re-notify a firing alert nobody acknowledged this often (None: once).
    #[serde(default, with = "humantime_option")]
    pub repeat_every: Option<Duration>,
    /// Label keys whose values make a group: alerts of the rule firing for
    /// machines of one group within `group_wait` go out as one
    /// notification (empty: each alert on its own, at once).
    #[serde(default)]
    pub group_by: Vec<String>,
    #[serde(default = "default_group_wait", with = "humantime_serde")]
    pub group_wait: Duration,
    pub description: String,
    /// Increases by one with every change; PUT/PATCH carrying another is refused (409).
    pub version: u64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Durations as "30s", "5m" in JSON.
mod humantime_serde {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

fn default_group_wait() -> Duration {
    DEFAULT_GROUP_WAIT
}

/// Optional durations as "4h" or null in JSON.
mod humantime_option {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&humantime::format_duration(*d).to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| humantime::parse_duration(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

impl Rule {
    pub fn is_offline(&self) -> bool {
        self.metric == OFFLINE
    }

    /// The threshold an alert must come back past (the threshold when unset).
    pub fn clear_at(&self) -> Option<f64> {
        self.clear_threshold.or(self.threshold)
    }

    /// Whether the rule applies to `machine_id` carrying `machine_labels`.
    pub fn selects(&self, machine_id: &str, machine_labels: &Labels) -> bool {
        let labelled = self.labels.iter().all(|(key, value)| machine_labels.get(key) == Some(value));
        // "*" (the default) needs no pattern compiled on the hot path.
        labelled
            && (self.selector == "*"
                || glob::Pattern::new(&self.selector).map(|p| p.matches(machine_id)).unwrap_or(false))
    }
}

use super::address::check_url;
pub use super::address::Policy;
use super::input::{duration, number, object, only_known, refuse, string, strings};
pub use crate::field_error::FieldError;

/// Every field a rule has (a body naming any other is refused).
pub const FIELDS: &[&str] = &[
    "id",
    "name",
    "metric",
    "kind",
    "horizon",
    "window",
    "comparison",
    "threshold",
    "clear_threshold",
    "for",
    "clear_for",
    "severity",
    "selector",
    "labels",
    "enabled",
    "webhooks",
    "channels",
    "repeat_every",
    "group_by",
    "group_wait",
    "description",
    "version",
    "created_at",
    "updated_at",
];

/// Builds a rule from JSON input. `id`, `version` and the times come from
/// the caller; the same fields in `input` are accepted but ignored (they are
/// the server's), except `version`, which the caller compares.
pub fn from_input(
    input: &Value,
    id: String,
    version: u64,
    created_at: i64,
    updated_at: i64,
    policy: Policy,
) -> Result<Rule, FieldError> {
    let map = object(input)?;
    only_known(map, FIELDS)?;
    if let Some(v) = map.get("version").filter(|v| !v.is_null()) {
        if !v.is_u64() {
            return Err(refuse("version", "must be a whole number"));
        }
    }
    let name = string(map, "name")?.map(str::trim).unwrap_or("");
    if name.is_empty() {
        return Err(refuse("name", "is required"));
    }
    if name.len() > MAX_NAME {
        return Err(refuse("name", format!("is longer than {MAX_NAME} bytes")));
    }
    let metric = string(map, "metric")?.ok_or_else(|| refuse("metric", "is required"))?.trim();
    let offline = metric == OFFLINE;
    if !offline {
        super::part::parse(metric).map_err(|m| refuse("metric", m))?;
    }
    let kind = match string(map, "kind")? {
        None | Some("threshold") => RuleKind::Threshold,
        Some("predict") => RuleKind::Predict,
        Some(other) => return Err(refuse("kind", format!("`{other}` is not threshold or predict"))),
    };
    let Judgement { comparison, threshold, clear_threshold, horizon, window } = match kind {
        RuleKind::Predict => predictive(map, offline)?,
        RuleKind::Threshold => {
            for field in ["horizon", "window"] {
                if map.get(field).is_some_and(|v| !v.is_null()) {
                    return Err(refuse(field, "is for predictive rules (\"kind\": \"predict\")"));
                }
            }
            threshold_of(map, offline)?
        }
    };
    let for_ = duration(map, "for")?;
    let clear_for = duration(map, "clear_for")?;
    let severity = match string(map, "severity")?.unwrap_or("warning") {
        "warning" => Severity::Warning,
        "critical" => Severity::Critical,
        other => return Err(refuse("severity", format!("`{other}` is not warning or critical"))),
    };
    let selector = string(map, "selector")?.unwrap_or("*").to_owned();
    glob::Pattern::new(&selector).map_err(|e| refuse("selector", format!("`{selector}` is not a glob ({e})")))?;
    let labels = match map.get("labels") {
        None | Some(Value::Null) => Labels::new(),
        Some(value) => labels::from_json("labels", value)?,
    };
    let enabled = match map.get("enabled") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(refuse("enabled", format!("must be true or false, got {other}"))),
    };
    let webhooks = match map.get("webhooks") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            if items.len() > MAX_WEBHOOKS {
                return Err(refuse("webhooks", format!("at most {MAX_WEBHOOKS} URLs")));
            }
            items
                .iter()
                .map(|item| match item {
                    Value::String(s) => check_url(s, policy).map(|u| u.to_string()).map_err(|m| refuse("webhooks", m)),
                    other => Err(refuse("webhooks", format!("must be URLs (strings), got {other}"))),
                })
                .collect::<Result<Vec<_>, _>>()?
        }
        Some(other) => return Err(refuse("webhooks", format!("must be a list of URLs, got {other}"))),
    };
    let mut channels = strings(map, "channels", MAX_CHANNELS)?;
    let mut seen = std::collections::HashSet::new();
    channels.retain(|id| seen.insert(id.clone()));
    if channels.iter().any(String::is_empty) {
        return Err(refuse("channels", "a channel id is empty"));
    }
    let repeat_every = match string(map, "repeat_every")?.map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(_) => {
            let every = duration(map, "repeat_every")?;
            if every < MIN_REPEAT || every > MAX_REPEAT {
                return Err(refuse("repeat_every", "must be from 1m to 30d (or null: notify once)"));
            }
            Some(every)
        }
    };
    let group_by = strings(map, "group_by", MAX_GROUP_BY)?;
    for key in &group_by {
        let one: Labels = [(key.clone(), String::new())].into();
        labels::check("group_by", &one).map_err(|e| refuse("group_by", e.message))?;
    }
    let group_wait = match string(map, "group_wait")? {
        None => DEFAULT_GROUP_WAIT,
        Some(_) => duration(map, "group_wait")?,
    };
    if group_wait > MAX_GROUP_WAIT {
        return Err(refuse("group_wait", "must be at most 1h"));
    }
    let description = string(map, "description")?.unwrap_or("").to_owned();
    if description.len() > MAX_DESCRIPTION {
        return Err(refuse("description", format!("is longer than {MAX_DESCRIPTION} bytes")));
    }
    Ok(Rule {
        id,
        name: name.to_owned(),
        metric: metric.to_owned(),
        kind,
        horizon,
        window,
        comparison,
        threshold,
        clear_threshold,
        for_,
        clear_for,
        severity,
        selector,
        labels,
        enabled,
        webhooks,
        channels,
        repeat_every,
        group_by,
        group_wait,
        description,
        version,
        created_at,
        updated_at,
    })
}

/// How a rule judges its metric, as validated.
struct Judgement {
    comparison: Option<Comparison>,
    threshold: Option<f64>,
    clear_threshold: Option<f64>,
    horizon: Option<Duration>,
    window: Option<Duration>,
}

/// A threshold rule's comparison, threshold and clear threshold.
fn threshold_of(map: &Map<String, Value>, offline: bool) -> Result<Judgement, FieldError> {
    let comparison = match string(map, "comparison")? {
        Some(text) => Some(
            Comparison::parse(text)
                .ok_or_else(|| refuse("comparison", format!("`{text}` is not one of >, >=, <, <=")))?,
        ),
        None => None,
    };
    let threshold = number(map, "threshold")?;
    let clear_threshold = number(map, "clear_threshold")?;
    if offline {
        if threshold.is_some() {
            return Err(refuse("threshold", "offline rules have no threshold"));
        }
        if clear_threshold.is_some() {
            return Err(refuse("clear_threshold", "offline rules have no threshold"));
        }
        return Ok(Judgement { comparison: None, threshold: None, clear_threshold: None, horizon: None, window: None });
    }
    let comparison = comparison.ok_or_else(|| refuse("comparison", "is required (>, >=, <, <=)"))?;
    let threshold = threshold.ok_or_else(|| refuse("threshold", "is required"))?;
    if let Some(clear) = clear_threshold {
        let wrong = if comparison.upward() { clear > threshold } else { clear < threshold };
        if wrong {
            let side = if comparison.upward() { "at or below" } else { "at or above" };
            return Err(refuse(
                "clear_threshold",
                format!(
                    "must be {side} the threshold ({threshold}) for `{}`",
                    serde_json::to_value(comparison).unwrap_or_default().as_str().unwrap_or("")
                ),
            ));
        }
    }
    Ok(Judgement {
        comparison: Some(comparison),
        threshold: Some(threshold),
        clear_threshold,
        horizon: None,
        window: None,
    })
}

/// A predictive rule's level (`threshold`, default 100), horizon and window.
fn predictive(map: &Map<String, Value>, offline: bool) -> Result<Judgement, FieldError> {
    if offline {
        return Err(refuse("kind", "an offline rule cannot predict"));
    }
    for field in ["comparison", "clear_threshold"] {
        if map.get(field).is_some_and(|v| !v.is_null()) {
            return Err(refuse(field, "predictive rules project toward `threshold` (default 100) and take no other"));
        }
    }
    let level = number(map, "threshold")?.unwrap_or(PREDICT_LEVEL);
    let span = |field: &str, min: Duration, max: Duration, what: &str| -> Result<Duration, FieldError> {
        if string(map, field)?.is_none() {
            return Err(refuse(field, format!("is required for a predictive rule ({what})")));
        }
        let value = duration(map, field)?;
        if value < min || value > max {
            return Err(refuse(
                field,
                format!("must be from {} to {}", humantime::format_duration(min), humantime::format_duration(max)),
            ));
        }
        Ok(value)
    };
    let horizon = span("horizon", MIN_PREDICT, MAX_HORIZON, "how far ahead, e.g. 24h")?;
    let window = span("window", MIN_PREDICT, MAX_WINDOW, "how much of the past, e.g. 6h")?;
    Ok(Judgement {
        comparison: Some(Comparison::GreaterOrEqual),
        threshold: Some(level),
        clear_threshold: None,
        horizon: Some(horizon),
        window: Some(window),
    })
}

/// The rules a hub starts with when it has none.
pub fn defaults(now: i64) -> Vec<Rule> {
    let rule = |id: &str, name: &str, metric: &str, threshold: Option<f64>, for_secs: u64, severity| Rule {
        id: id.to_owned(),
        name: name.to_owned(),
        metric: metric.to_owned(),
        kind: RuleKind::Threshold,
        horizon: None,
        window: None,
        comparison: threshold.map(|_| Comparison::Greater),
        threshold,
        clear_threshold: None,
        for_: Duration::from_secs(for_secs),
        clear_for: Duration::ZERO,
        severity,
        selector: "*".into(),
        labels: Labels::new(),
        enabled: true,
        webhooks: Vec::new(),
        channels: Vec::new(),
        repeat_every: None,
        group_by: Vec::new(),
        group_wait: DEFAULT_GROUP_WAIT,
        description: String::new(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    vec![
        rule("default-cpu", "CPU above 90 % for 5 minutes", "cpu_percent", Some(90.0), 300, Severity::Warning),
        rule("default-memory", "Memory above 90 % for 5 minutes", "memory_percent", Some(90.0), 300, Severity::Warning),
        rule("default-disk", "Disk above 90 %", "disk_percent", Some(90.0), 0, Severity::Critical),
        rule("default-offline", "Machine offline for 1 minute", OFFLINE, None, 60, Severity::Critical),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn build(input: Value) -> Result<Rule, FieldError> {
        from_input(&input, "r1".into(), 1, 0, 0, Policy::default())
    }

    fn field_of(input: Value) -> String {
        build(input).expect_err("refused").field
    }

    #[test]
    fn accepts_a_full_rule_and_defaults() {
        let rule = build(json!({"name": "hot", "metric": "cpu_percent", "comparison": ">", "threshold": 90,
            "clear_threshold": 70, "for": "30s", "clear_for": "1m", "severity": "critical", "selector": "web-*",
            "webhooks": ["https://hooks.example.com/x"], "description": "d"}))
        .expect("valid");
        assert_eq!(rule.for_, Duration::from_secs(30));
        assert_eq!(rule.clear_at(), Some(70.0));
        let none = Labels::new();
        assert!(rule.selects("web-01", &none) && !rule.selects("db-01", &none));
        let minimal = build(json!({"name": "m", "metric": "offline", "for": "1m"})).expect("valid offline");
        assert_eq!((minimal.severity, minimal.selector.as_str(), minimal.enabled), (Severity::Warning, "*", true));
        assert!(minimal.is_offline());
        let json = serde_json::to_value(&rule).expect("encodes");
        assert_eq!(json["for"], "30s");
        assert_eq!(json["comparison"], ">");
    }

    #[test]
    fn label_matchers_narrow_the_glob() {
        let rule = build(json!({"name": "n", "metric": "cpu_percent", "comparison": ">", "threshold": 90,
            "selector": "web-*", "labels": {"env": "prod"}}))
        .expect("valid");
        let prod: Labels = [("env".to_owned(), "prod".to_owned()), ("role".to_owned(), "web".to_owned())].into();
        let staging: Labels = [("env".to_owned(), "staging".to_owned())].into();
        assert!(rule.selects("web-1", &prod));
        assert!(!rule.selects("web-1", &staging), "another value");
        assert!(!rule.selects("web-1", &Labels::new()), "no such label");
        assert!(!rule.selects("db-1", &prod), "the glob still holds");
        let stored: Rule = serde_json::from_value(serde_json::json!({"id": "old", "name": "n", "metric": "offline",
            "comparison": null, "threshold": null, "clear_threshold": null, "for": "1m", "clear_for": "0s",
            "severity": "warning", "selector": "*", "enabled": true, "webhooks": [], "description": "",
            "version": 1, "created_at": 0, "updated_at": 0}))
        .expect("a rule stored before labels reads");
        assert!(stored.labels.is_empty());
    }

    #[test]
    fn each_problem_names_its_field() {
        let base = || json!({"name": "n", "metric": "cpu_percent", "comparison": ">", "threshold": 90});
        let with = |key: &str, value: Value| {
            let mut v = base();
            v[key] = value;
            v
        };
        assert_eq!(field_of(with("metric", json!("nope"))), "metric");
        assert_eq!(field_of(with("threshold", json!("ninety"))), "threshold");
        assert_eq!(field_of(with("for", json!("-5s"))), "for");
        assert_eq!(field_of(with("clear_for", json!("soon"))), "clear_for");
        assert_eq!(field_of(with("clear_threshold", json!(95))), "clear_threshold");
        assert_eq!(field_of(with("severity", json!("urgent"))), "severity");
        assert_eq!(field_of(with("colour", json!("red"))), "colour");
        // Found by fuzzing (fuzz/regressions/rule_json): a key named "" named no field.
        assert_eq!(field_of(with("", json!("red"))), "body");
        assert_eq!(field_of(with("webhooks", json!(["not a url"]))), "webhooks");
        assert_eq!(field_of(with("webhooks", json!(["http://127.0.0.1:9/x"]))), "webhooks");
        assert_eq!(field_of(with("webhooks", json!(["http://10.0.0.1/x"]))), "webhooks");
        assert_eq!(field_of(with("comparison", json!("=="))), "comparison");
        assert_eq!(field_of(with("enabled", json!("yes"))), "enabled");
        assert_eq!(field_of(with("metric", json!("disk_percent{mount=/data}"))), "metric");
        assert_eq!(field_of(with("metric", json!("cpu_percent{core=\"1\"}"))), "metric");
        assert_eq!(field_of(with("horizon", json!("1h"))), "horizon", "only for predictive rules");
        assert_eq!(field_of(with("kind", json!("guess"))), "kind");
        let predict = |extra: Value| {
            let mut v = json!({"name": "p", "metric": "disk_percent{mount=\"/data\"}", "kind": "predict",
                "horizon": "24h", "window": "6h"});
            for (k, x) in extra.as_object().expect("object") {
                v[k] = x.clone();
            }
            v
        };
        let made = build(predict(json!({}))).expect("a predictive rule");
        assert_eq!(
            (made.kind, made.threshold, made.horizon),
            (RuleKind::Predict, Some(100.0), Some(Duration::from_secs(86_400)))
        );
        assert_eq!(field_of(predict(json!({"horizon": null}))), "horizon");
        assert_eq!(field_of(predict(json!({"window": "1s"}))), "window");
        assert_eq!(field_of(predict(json!({"comparison": ">"}))), "comparison");
        assert_eq!(field_of(predict(json!({"metric": "offline"}))), "kind");
        assert_eq!(field_of(with("repeat_every", json!("10s"))), "repeat_every");
        assert_eq!(field_of(with("repeat_every", json!("often"))), "repeat_every");
        assert_eq!(field_of(with("group_by", json!(["Rack"]))), "group_by");
        assert_eq!(field_of(with("group_wait", json!("2h"))), "group_wait");
        assert_eq!(field_of(with("name", json!(""))), "name");
        assert_eq!(field_of(with("labels", json!({"Env": "prod"}))), "labels.Env");
        assert_eq!(field_of(with("labels", json!("env=prod"))), "labels");
        assert_eq!(field_of(json!({"name": "n", "metric": "cpu_percent", "threshold": 1})), "comparison");
        assert_eq!(field_of(json!({"name": "n", "metric": "offline", "threshold": 1})), "threshold");
        assert_eq!(build(json!([1, 2])).expect_err("array").field, "body");
        // Downward rules want the clear threshold above.
        let down =
            json!({"name": "n", "metric": "process_count", "comparison": "<", "threshold": 10, "clear_threshold": 5});
        assert_eq!(field_of(down), "clear_threshold");
    }

    #[test]
    fn a_stored_rule_reads_back_bit_for_bit() {
        // Found by fuzzing (fuzz/regressions/rule_json): without serde_json's
        // float_roundtrip a threshold read back from the store could differ
        // from the accepted one in its last bit.
        let input: Value = serde_json::from_str(
            r#"{"name": "n", "metric": "cpu_percent", "comparison": ">",
                "threshold": 92222222222222222222222222222222222222222222222222222222220}"#,
        )
        .expect("JSON");
        let rule = build(input).expect("valid");
        let stored = serde_json::to_string(&rule).expect("encodes");
        let back: Rule = serde_json::from_str(&stored).expect("decodes");
        assert_eq!(back.threshold.map(f64::to_bits), rule.threshold.map(f64::to_bits));
    }

    #[test]
    fn defaults_are_valid() {
        for rule in defaults(0) {
            let input = serde_json::to_value(&rule).expect("encodes");
            let again = from_input(&input, rule.id.clone(), 1, 0, 0, Policy::default()).expect("default rule is valid");
            assert_eq!(again, rule);
        }
    }
}
