//! The frames browsers receive on `/ws`, one definition for the hub and the
//! relay, serialised with serde. Machine summaries are carried as the JSON
//! they were encoded to once (`RawValue`), so a frame to many viewers is
//! joined from shared bytes, never re-encoded per viewer.
//!
//! - `{"type":"snapshot","machines":[…]}` first (from a relay, with
//!   `"recent":{machine_id:[[ts, cpu, memory, seq], …]}` for its charts,
//!   seq 0: a relay does not see agents' seqs);
//! - `{"type":"update","machines":[…]}`: the machines that changed;
//! - `{"type":"alert","alert":{…}}`: an alert fired or resolved;
//! - `{"type":"removed","machine_id":…}`: a machine was removed from the hub.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::value::RawValue;

use crate::ring::ChartPoint;

/// One frame to a browser.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Frame<'a> {
    /// Every machine, first; `recent` only where the page cannot ask for
    /// chart points itself (the relay's read-only pages).
    Snapshot {
        machines: Vec<&'a RawValue>,
        #[serde(skip_serializing_if = "Option::is_none")]
        recent: Option<BTreeMap<&'a str, &'a [ChartPoint]>>,
    },
    /// The machines whose state changed since the last frame.
    Update { machines: Vec<&'a RawValue> },
    /// An alert fired or resolved.
    Alert { alert: &'a RawValue },
    /// A machine was removed (`DELETE /api/machines/{id}`): drop it.
    Removed { machine_id: &'a str },
}

impl Frame<'_> {
    /// The frame's JSON text: what serde makes of it. The frames sent most
    /// (an update, a hub's snapshot) are joined from their raw summaries
    /// directly, the same bytes serde writes (a test holds them equal),
    /// without serde's per-item machinery (about 10 % of the time).
    pub fn to_json(&self) -> String {
        match self {
            Frame::Update { machines } => joined("update", machines),
            Frame::Snapshot { machines, recent: None } => joined("snapshot", machines),
            _ => self.serialized(),
        }
    }

    fn serialized(&self) -> String {
        // Serialising borrowed raw JSON, strings and numbers cannot fail.
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"type\":\"error\",\"error\":\"{e}\"}}"))
    }
}

/// `{"type":"<kind>","machines":[…]}` from valid JSON items.
fn joined(kind: &str, machines: &[&RawValue]) -> String {
    let size = machines.iter().map(|m| m.get().len() + 1).sum::<usize>() + kind.len() + 24;
    let mut out = String::with_capacity(size);
    out.push_str("{\"type\":\"");
    out.push_str(kind);
    out.push_str("\",\"machines\":[");
    for (i, machine) in machines.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(machine.get());
    }
    out.push_str("]}");
    out
}

/// `{"type":"snapshot","machines":[…]}`.
pub fn snapshot<'a>(machines: impl IntoIterator<Item = &'a RawValue>) -> String {
    Frame::Snapshot { machines: machines.into_iter().collect(), recent: None }.to_json()
}

/// `{"type":"update","machines":[…]}`.
pub fn update<'a>(machines: impl IntoIterator<Item = &'a RawValue>) -> String {
    Frame::Update { machines: machines.into_iter().collect() }.to_json()
}

/// `{"type":"alert","alert":{…}}` for an alert encoded as JSON once.
pub fn alert(alert: &RawValue) -> String {
    Frame::Alert { alert }.to_json()
}

/// `{"type":"removed","machine_id":…}`.
pub fn removed(machine_id: &str) -> String {
    Frame::Removed { machine_id }.to_json()
}

/// `[<json>,…]` from pre-encoded items (`GET /api/machines`).
pub fn json_array<'a>(items: impl IntoIterator<Item = &'a RawValue>) -> String {
    serde_json::to_string(&items.into_iter().collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).expect("JSON")
    }

    #[test]
    fn frames_carry_the_summaries_as_encoded() {
        let (a, b) = (raw("{\"machine_id\":\"a\",\"cpu_percent\":1.50}"), raw("{\"machine_id\":\"b\"}"));
        let frame = update([&*a, &*b]);
        assert_eq!(
            frame,
            "{\"type\":\"update\",\"machines\":[{\"machine_id\":\"a\",\"cpu_percent\":1.50},{\"machine_id\":\"b\"}]}"
        );
        assert_eq!(snapshot([]), "{\"type\":\"snapshot\",\"machines\":[]}");
        assert_eq!(alert(&raw("{\"id\":1}")), "{\"type\":\"alert\",\"alert\":{\"id\":1}}");
        assert_eq!(json_array([&*a, &*b]), format!("[{},{}]", a.get(), b.get()));
    }

    #[test]
    fn the_joined_frames_are_what_serde_writes() {
        let (a, b) = (raw("{\"machine_id\":\"a\",\"x\":[1,2]}"), raw("{\"machine_id\":\"b\"}"));
        for machines in [vec![], vec![&*a], vec![&*a, &*b]] {
            let update = Frame::Update { machines: machines.clone() };
            assert_eq!(update.to_json(), update.serialized());
            let snapshot = Frame::Snapshot { machines, recent: None };
            assert_eq!(snapshot.to_json(), snapshot.serialized());
        }
    }

    #[test]
    fn a_relay_snapshot_declares_its_chart_points() {
        let a = raw("{\"machine_id\":\"a\"}");
        let points = [ChartPoint::new(1_000, 1.0, 50.0, 7), ChartPoint::new(2_000, 3.0, 51.0, 8)];
        let recent = BTreeMap::from([("a", &points[..])]);
        let frame = Frame::Snapshot { machines: vec![&*a], recent: Some(recent) }.to_json();
        let value: Value = serde_json::from_str(&frame).expect("JSON");
        assert_eq!(value["type"], "snapshot");
        assert_eq!(value["recent"]["a"], serde_json::json!([[1000, 1.0, 50.0, 7], [2000, 3.0, 51.0, 8]]));
    }
}
