//! WebSocket frames and JSON arrays built from summaries that are already
//! encoded: joining bytes, never re-encoding per viewer.

/// `{"type":"<kind>","machines":[<json>,...]}`.
pub fn machines_frame<'a>(kind: &str, machines: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::with_capacity(64);
    out.push_str("{\"type\":\"");
    out.push_str(kind);
    out.push_str("\",\"machines\":");
    push_array(&mut out, machines);
    out.push('}');
    out
}

/// `[<json>,...]`.
pub fn json_array<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    push_array(&mut out, items);
    out
}

fn push_array<'a>(out: &mut String, items: impl IntoIterator<Item = &'a str>) {
    out.push('[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_valid_json() {
        let frame = machines_frame("update", ["{\"a\":1}", "{\"b\":2}"]);
        let value: serde_json::Value = serde_json::from_str(&frame).expect("frame is JSON");
        assert_eq!(value["type"], "update");
        assert_eq!(value["machines"][1]["b"], 2);
        assert_eq!(machines_frame("snapshot", []), "{\"type\":\"snapshot\",\"machines\":[]}");
        assert_eq!(json_array(["1", "2"]), "[1,2]");
    }
}
