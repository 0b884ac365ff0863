//! The relay's picture of the fleet (pure): each machine's latest summary,
//! kept as the JSON the hub sent (never re-encoded), and its last
//! [`RECENT_WINDOW`] of CPU and memory for charts.
//!
//! Frames from a hub are the hub's own browser frames: `snapshot` and
//! `update` (`{"type":…,"machines":[…]}`) and `alert`. Newest sample wins per
//! machine, so several hubs may feed one relay. [`FleetState::apply`]
//! answers the frame to pass on to viewers, built once for all of them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;
use sysmonstm_viewer::frames::{self, json_array, Frame};
use sysmonstm_viewer::newest;
pub use sysmonstm_viewer::ring::RECENT_WINDOW;
use sysmonstm_viewer::ring::{ChartPoint, ChartRing};

/// Why a frame from a hub was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FrameError {
    #[error("not a JSON frame: {0}")]
    Json(String),
    #[error("unknown frame type `{0}` (expected snapshot, update, alert or removed)")]
    Type(String),
    #[error("`{0}` frame without `{1}`")]
    Missing(&'static str, &'static str),
    #[error("machine {index}: {message}")]
    Machine { index: usize, message: String },
}

#[derive(Deserialize)]
struct Incoming<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(borrow, default)]
    machines: Option<Vec<&'a RawValue>>,
    #[serde(borrow, default)]
    alert: Option<&'a RawValue>,
    #[serde(borrow, default)]
    machine_id: Option<&'a str>,
}

/// The fields of a summary the relay itself needs.
#[derive(Deserialize)]
struct Brief {
    machine_id: String,
    sample_ts: i64,
    #[serde(default)]
    cpu_percent: f64,
    #[serde(default)]
    memory_percent: f64,
}

struct Machine {
    summary: Arc<RawValue>,
    sample_ts: i64,
    recent: ChartRing,
}

#[derive(Default)]
pub struct FleetState {
    machines: HashMap<String, Machine>,
}

impl FleetState {
    /// Applies one frame from a hub; the frame for viewers, if anything changed.
    pub fn apply(&mut self, text: &str) -> Result<Option<String>, FrameError> {
        let frame: Incoming = serde_json::from_str(text).map_err(|e| FrameError::Json(e.to_string()))?;
        match frame.kind {
            "snapshot" | "update" => {
                let kind = if frame.kind == "snapshot" { "snapshot" } else { "update" };
                let machines = frame.machines.ok_or(FrameError::Missing(kind, "machines"))?;
                let mut briefs = Vec::with_capacity(machines.len());
                for (index, raw) in machines.iter().enumerate() {
                    let brief: Brief = serde_json::from_str(raw.get())
                        .map_err(|e| FrameError::Machine { index, message: e.to_string() })?;
                    briefs.push((brief, *raw));
                }
                let accepted: Vec<Arc<RawValue>> =
                    briefs.into_iter().filter_map(|(brief, raw)| self.accept(brief, raw)).collect();
                Ok((!accepted.is_empty()).then(|| frames::update(accepted.iter().map(|s| &**s))))
            }
            "alert" => {
                frame.alert.ok_or(FrameError::Missing("alert", "alert"))?;
                Ok(Some(text.to_owned()))
            }
            "removed" => {
                let machine_id = frame.machine_id.ok_or(FrameError::Missing("removed", "machine_id"))?;
                Ok(self.machines.remove(machine_id).map(|_| frames::removed(machine_id)))
            }
            other => Err(FrameError::Type(other.to_owned())),
        }
    }

    /// Stores a summary unless the relay holds a newer sample of that machine.
    fn accept(&mut self, brief: Brief, raw: &RawValue) -> Option<Arc<RawValue>> {
        let summary: Arc<RawValue> = Arc::from(raw.to_owned());
        let held = self.machines.get(&brief.machine_id).map(|m| m.sample_ts);
        // The relay holds no machine of its own: every source is remote.
        if !newest::replaces(held, brief.sample_ts, false) {
            return None;
        }
        let machine = self.machines.entry(brief.machine_id).or_insert_with(|| Machine {
            summary: summary.clone(),
            sample_ts: i64::MIN,
            recent: ChartRing::default(),
        });
        // The ring skips the same sample again (same time; the relay sees no seq).
        machine.recent.push(ChartPoint::new(brief.sample_ts, brief.cpu_percent, brief.memory_percent, 0));
        machine.sample_ts = brief.sample_ts;
        machine.summary = summary.clone();
        Some(summary)
    }

    /// Every machine's summary, ordered by machine id.
    fn sorted(&self) -> Vec<(&String, &Machine)> {
        let mut all: Vec<_> = self.machines.iter().collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all
    }

    /// `[summary, …]` for `GET /api/machines`.
    pub fn list_json(&self) -> String {
        json_array(self.sorted().into_iter().map(|(_, m)| &*m.summary))
    }

    /// What a new viewer gets first: every machine, and its chart points
    /// (`"recent": {machine_id: [[ts, cpu, memory, seq], …]}`), which a
    /// relay's pages cannot ask for.
    pub fn snapshot_frame(&self) -> String {
        let sorted = self.sorted();
        let points: Vec<(&str, Vec<ChartPoint>)> =
            sorted.iter().map(|(id, m)| (id.as_str(), m.recent.points())).collect();
        let recent: BTreeMap<&str, &[ChartPoint]> = points.iter().map(|(id, p)| (*id, p.as_slice())).collect();
        Frame::Snapshot { machines: sorted.iter().map(|(_, m)| &*m.summary).collect(), recent: Some(recent) }.to_json()
    }

    pub fn len(&self) -> usize {
        self.machines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.machines.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn summary(id: &str, ts: i64, cpu: f64) -> String {
        format!(
            r#"{{"machine_id":"{id}","hostname":"h-{id}","status":"online","sample_ts":{ts},"cpu_percent":{cpu},"memory_percent":50.0}}"#
        )
    }

    fn frame(kind: &str, machines: &[String]) -> String {
        format!(r#"{{"type":"{kind}","machines":[{}]}}"#, machines.join(","))
    }

    #[test]
    fn snapshot_then_updates_make_the_fleet() {
        let mut fleet = FleetState::default();
        let out = fleet.apply(&frame("snapshot", &[summary("a", 1_000, 1.0), summary("b", 1_000, 2.0)])).expect("ok");
        let out: Value = serde_json::from_str(&out.expect("a frame for viewers")).expect("json");
        assert_eq!(out["type"], "update");
        assert_eq!(out["machines"].as_array().map(Vec::len), Some(2));
        fleet.apply(&frame("update", &[summary("a", 2_000, 3.0)])).expect("ok");
        let list: Value = serde_json::from_str(&fleet.list_json()).expect("json");
        assert_eq!(list[0]["machine_id"], "a");
        assert_eq!(list[0]["cpu_percent"], 3.0);
        assert_eq!(list[1]["machine_id"], "b");
        let snapshot: Value = serde_json::from_str(&fleet.snapshot_frame()).expect("json");
        assert_eq!(snapshot["type"], "snapshot");
        assert_eq!(snapshot["machines"].as_array().map(Vec::len), Some(2));
        assert_eq!(snapshot["recent"]["a"], serde_json::json!([[1000, 1.0, 50.0, 0], [2000, 3.0, 50.0, 0]]));
    }

    #[test]
    fn newest_sample_wins() {
        let mut fleet = FleetState::default();
        fleet.apply(&frame("update", &[summary("a", 2_000, 2.0)])).expect("ok");
        let stale = fleet.apply(&frame("update", &[summary("a", 1_000, 9.0)])).expect("ok");
        assert_eq!(stale, None, "an older sample changes nothing");
        let list: Value = serde_json::from_str(&fleet.list_json()).expect("json");
        assert_eq!(list[0]["cpu_percent"], 2.0);
        // The same sample again (say, now offline) replaces the summary, adds no chart point.
        let offline = summary("a", 2_000, 2.0).replace("online", "offline");
        assert!(fleet.apply(&frame("update", &[offline])).expect("ok").is_some());
        let snapshot: Value = serde_json::from_str(&fleet.snapshot_frame()).expect("json");
        assert_eq!(snapshot["machines"][0]["status"], "offline");
        assert_eq!(snapshot["recent"]["a"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn the_chart_ring_keeps_five_minutes() {
        let mut fleet = FleetState::default();
        for i in 0..400 {
            fleet.apply(&frame("update", &[summary("a", i * 1_000, 1.0)])).expect("ok");
        }
        let snapshot: Value = serde_json::from_str(&fleet.snapshot_frame()).expect("json");
        let points = snapshot["recent"]["a"].as_array().expect("points").clone();
        assert_eq!(points.first().map(|p| p[0].clone()), Some(Value::from(399_000 - 300_000)));
        assert_eq!(points.last().map(|p| p[0].clone()), Some(Value::from(399_000)));
    }

    #[test]
    fn a_removed_machine_leaves_the_fleet() {
        let mut fleet = FleetState::default();
        fleet.apply(&frame("snapshot", &[summary("a", 1_000, 1.0), summary("b", 1_000, 2.0)])).expect("ok");
        let out = fleet.apply(r#"{"type":"removed","machine_id":"a"}"#).expect("ok").expect("passed on");
        assert_eq!(out, r#"{"type":"removed","machine_id":"a"}"#);
        let listed: serde_json::Value = serde_json::from_str(&fleet.list_json()).expect("JSON");
        assert_eq!(listed.as_array().map(Vec::len), Some(1));
        assert!(fleet.apply(r#"{"type":"removed","machine_id":"a"}"#).expect("ok").is_none(), "already gone");
        assert!(matches!(fleet.apply(r#"{"type":"removed"}"#), Err(FrameError::Missing("removed", "machine_id"))));
    }

    #[test]
    fn alerts_pass_through() {
        let mut fleet = FleetState::default();
        let alert = r#"{"type":"alert","alert":{"id":1,"state":"firing"}}"#;
        assert_eq!(fleet.apply(alert).expect("ok").as_deref(), Some(alert));
        assert!(fleet.is_empty());
    }

    #[test]
    fn bad_frames_say_what_is_wrong() {
        let mut fleet = FleetState::default();
        assert!(matches!(fleet.apply("nope"), Err(FrameError::Json(_))));
        assert_eq!(fleet.apply(r#"{"type":"hello"}"#), Err(FrameError::Type("hello".into())));
        assert_eq!(fleet.apply(r#"{"type":"update"}"#), Err(FrameError::Missing("update", "machines")));
        assert_eq!(fleet.apply(r#"{"type":"alert"}"#), Err(FrameError::Missing("alert", "alert")));
        let bad = format!(r#"{{"type":"update","machines":[{},{{"machine_id":"x"}}]}}"#, summary("a", 1, 1.0));
        let err = fleet.apply(&bad).expect_err("refused");
        assert!(matches!(err, FrameError::Machine { index: 1, .. }), "{err}");
        assert!(fleet.is_empty(), "a refused frame changes nothing");
    }
}
