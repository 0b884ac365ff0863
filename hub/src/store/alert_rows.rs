//! Alert events to and from table columns, for both backends.

use sysmonstm_protocol::model::ProcessInfo;

use super::StoreError;
use crate::alerts::engine::{Alert, AlertState};
use crate::alerts::rule::Severity;

pub fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Warning => "warning",
        Severity::Critical => "critical",
    }
}

/// One `alert_events` row as read.
pub struct AlertColumns<'a> {
    pub id: String,
    pub rule_id: String,
    pub rule_name: String,
    pub machine_id: String,
    pub severity: &'a str,
    pub state: &'a str,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub started_at: i64,
    pub resolved_at: Option<i64>,
    pub top_processes: &'a str,
}

pub fn alert_from_columns(c: AlertColumns<'_>) -> Result<Alert, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("alert {}: {what}", c.id));
    let severity = match c.severity {
        "warning" => Severity::Warning,
        "critical" => Severity::Critical,
        other => return Err(corrupt(&format!("severity `{other}`"))),
    };
    let state = match c.state {
        "firing" => AlertState::Firing,
        "resolved" => AlertState::Resolved,
        other => return Err(corrupt(&format!("state `{other}`"))),
    };
    let top_processes: Vec<ProcessInfo> =
        serde_json::from_str(c.top_processes).map_err(|e| corrupt(&format!("top_processes: {e}")))?;
    Ok(Alert {
        id: c.id,
        rule_id: c.rule_id,
        rule_name: c.rule_name,
        machine_id: c.machine_id,
        severity,
        state,
        value: c.value.unwrap_or(0.0),
        threshold: c.threshold,
        started_at: c.started_at,
        resolved_at: c.resolved_at,
        top_processes,
    })
}
