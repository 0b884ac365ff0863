//! What an operator sets on a machine at the hub (`PATCH
//! /api/machines/{id}`): labels, which win over the agent's and its
//! token's for the same key, a display name shown instead of the id, and
//! the sampling interval the agent is told to use. Pure: reading a patch,
//! and laying the settings over a summary.

use std::time::Duration;

use serde_json::{json, Value};
use sysmonstm_protocol::model::{HostInfo, MachineSummary};

use crate::field_error::FieldError;
use crate::labels::{self, Labels};

/// Longest display name, in bytes.
pub const MAX_DISPLAY_NAME: usize = 128;

/// Shortest sampling interval an operator may set.
pub const MIN_INTERVAL: Duration = Duration::from_millis(500);
/// Longest sampling interval an operator may set.
pub const MAX_INTERVAL: Duration = Duration::from_secs(3600);

const FIELDS: &[&str] = &["labels", "display_name", "interval"];

/// A machine's hub-side settings (none: all empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MachineSettings {
    pub labels: Labels,
    pub display_name: Option<String>,
    /// The interval its agent is told to sample at (None: the agent's own).
    pub interval: Option<Duration>,
}

impl MachineSettings {
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.display_name.is_none() && self.interval.is_none()
    }

    /// As `GET /api/machines/{id}/settings` shows them.
    pub fn view(&self) -> Value {
        json!({
            "labels": self.labels,
            "display_name": self.display_name,
            "interval": self.interval.map(|d| humantime::format_duration(d).to_string()),
        })
    }

    /// The interval as stored (ms), and back.
    pub fn interval_ms(&self) -> Option<i64> {
        self.interval.map(|d| d.as_millis() as i64)
    }

    pub fn interval_from_ms(ms: Option<i64>) -> Option<Duration> {
        ms.filter(|ms| *ms > 0).map(|ms| Duration::from_millis(ms as u64))
    }

    /// A summary fresh from `MachineSummary::new` (its labels the agent's)
    /// as these settings show it: these labels win for a key, and the
    /// display name. Called for every sample: it adds to the labels the
    /// summary already holds rather than copying the agent's again.
    pub fn apply(&self, summary: &mut MachineSummary) {
        summary.labels.extend(self.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
        summary.display_name.clone_from(&self.display_name);
    }

    /// `summary` (from any settings) as these show it: the agent's labels
    /// from `host`, then these.
    pub fn reapply(&self, summary: &mut MachineSummary, host: &HostInfo) {
        summary.labels.clone_from(&host.labels);
        self.apply(summary);
    }

    /// These settings changed by a JSON merge patch: `{"labels": {"env":
    /// "prod", "old": null}, "display_name": "Web 3" | null}`. A label set to
    /// null is removed; `"labels": null` removes every hub-side label.
    pub fn patched(&self, body: &Value) -> Result<MachineSettings, FieldError> {
        let object = body.as_object().ok_or_else(|| FieldError::new("", "the body must be a JSON object"))?;
        if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(FieldError::new(unknown.as_str(), format!("unknown field; known: {}", FIELDS.join(", "))));
        }
        let mut next = self.clone();
        match object.get("labels") {
            None => {}
            Some(Value::Null) => next.labels.clear(),
            Some(Value::Object(changes)) => {
                for (key, value) in changes {
                    match value {
                        Value::Null => {
                            next.labels.remove(key);
                        }
                        Value::String(text) => {
                            next.labels.insert(key.clone(), text.clone());
                        }
                        _ => return Err(FieldError::new(format!("labels.{key}"), "a string, or null to remove it")),
                    }
                }
                labels::check("labels", &next.labels)?;
            }
            Some(_) => return Err(FieldError::new("labels", "must be an object like {\"env\": \"prod\"}")),
        }
        match object.get("display_name") {
            None => {}
            Some(Value::Null) => next.display_name = None,
            Some(Value::String(name)) if name.trim().is_empty() => next.display_name = None,
            Some(Value::String(name)) => {
                if name.len() > MAX_DISPLAY_NAME || name.chars().any(char::is_control) {
                    return Err(FieldError::new(
                        "display_name",
                        format!("at most {MAX_DISPLAY_NAME} bytes, without control characters"),
                    ));
                }
                next.display_name = Some(name.trim().to_owned());
            }
            Some(_) => return Err(FieldError::new("display_name", "a string, or null to show the id")),
        }
        match object.get("interval") {
            None => {}
            Some(Value::Null) => next.interval = None,
            Some(Value::String(text)) => next.interval = Some(interval(text)?),
            Some(_) => {
                return Err(FieldError::new("interval", "a duration such as \"5s\", or null for the agent's own"))
            }
        }
        Ok(next)
    }
}

fn interval(text: &str) -> Result<Duration, FieldError> {
    let range = || {
        format!("between {} and {}", humantime::format_duration(MIN_INTERVAL), humantime::format_duration(MAX_INTERVAL))
    };
    let every = humantime::parse_duration(text.trim()).map_err(|e| {
        FieldError::new("interval", format!("`{text}` is not a duration ({e}); write e.g. 5s, {}", range()))
    })?;
    if !(MIN_INTERVAL..=MAX_INTERVAL).contains(&every) {
        return Err(FieldError::new("interval", format!("`{text}` is outside the allowed range: {}", range())));
    }
    Ok(every)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_patch_merges_and_removes() {
        let start = MachineSettings { labels: with(&[("env", "dev"), ("old", "x")]), ..Default::default() };
        let next = start
            .patched(&json!({"labels": {"env": "prod", "old": null, "role": "web"}, "display_name": " Web 3 "}))
            .expect("valid");
        assert_eq!(next.labels, with(&[("env", "prod"), ("role", "web")]));
        assert_eq!(next.display_name.as_deref(), Some("Web 3"));
        let timed = next.patched(&json!({"interval": "5s"})).expect("valid");
        assert_eq!(timed.interval, Some(Duration::from_secs(5)));
        assert_eq!(timed.view()["interval"], "5s");
        assert_eq!(MachineSettings::interval_from_ms(timed.interval_ms()), timed.interval, "stored and read back");
        let cleared = timed.patched(&json!({"labels": null, "display_name": null, "interval": null})).expect("valid");
        assert!(cleared.is_empty());
        assert_eq!(next.patched(&json!({})).expect("valid"), next, "an empty patch changes nothing");
    }

    #[test]
    fn refusals_name_the_field_and_change_nothing() {
        let start = MachineSettings::default();
        let field = |body: Value| start.patched(&body).unwrap_err().field;
        assert_eq!(field(json!({"labels": {"Env": "x"}})), "labels.Env");
        assert_eq!(field(json!({"labels": {"env": 1}})), "labels.env");
        assert_eq!(field(json!({"labels": ["env"]})), "labels");
        assert_eq!(field(json!({"display_name": "x".repeat(129)})), "display_name");
        assert_eq!(field(json!({"display_name": 7})), "display_name");
        assert_eq!(field(json!({"interval": "5x"})), "interval");
        assert_eq!(field(json!({"interval": "100ms"})), "interval");
        assert_eq!(field(json!({"interval": "2h"})), "interval");
        assert_eq!(field(json!({"interval": 5000})), "interval");
        assert_eq!(field(json!({"name": "x"})), "name");
        assert_eq!(field(json!([1])), "");
        let many: serde_json::Map<String, Value> = (0..33).map(|i| (format!("k{i}"), json!("v"))).collect();
        assert_eq!(field(json!({ "labels": many })), "labels");
    }

    #[test]
    fn hub_labels_win_over_the_agents() {
        let host = HostInfo { labels: with(&[("env", "dev"), ("role", "web")]), ..Default::default() };
        let status = sysmonstm_protocol::model::MachineStatus::Online;
        let mut summary = MachineSummary::new("m", &host, &Default::default(), status, 0);
        let settings =
            MachineSettings { labels: with(&[("env", "prod")]), display_name: Some("Web".into()), interval: None };
        settings.apply(&mut summary);
        assert_eq!(summary.labels, with(&[("env", "prod"), ("role", "web")]));
        assert_eq!(summary.display_name.as_deref(), Some("Web"));
        // Other settings later: the first ones' labels do not linger.
        let later = MachineSettings { labels: with(&[("team", "a")]), ..Default::default() };
        later.reapply(&mut summary, &host);
        assert_eq!(summary.labels, with(&[("env", "dev"), ("role", "web"), ("team", "a")]));
        assert_eq!(summary.display_name, None);
    }
}
