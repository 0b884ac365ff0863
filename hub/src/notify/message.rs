//! What a notification says, before any channel's form: a rule's alerts
//! that changed state together (one alert, or a group), with the machine,
//! its labels, the value against the threshold, how long, the busiest
//! processes and a link to the machine's page. Pure.

use std::sync::Arc;
use std::time::Duration;

use crate::alerts::engine::{Alert, AlertState};
use crate::alerts::rule::{Comparison, Rule, RuleKind, Severity};
use crate::labels::Labels;

/// What `encodeURIComponent` leaves alone (the dashboard decodes with its twin).
const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// How many processes a message lists per machine.
pub const TOP_PROCESSES: usize = 3;

/// One message to send.
#[derive(Debug, Clone)]
pub struct Notification {
    pub state: AlertState,
    pub rule: Arc<Rule>,
    /// The alerts it is about (all of `rule`, all in `state`); one unless grouped.
    pub alerts: Vec<Arc<Alert>>,
    /// The label values the alerts were grouped by (empty: not grouped).
    pub group: Labels,
    /// The dashboard's address (`https://hub.example.com`), for links.
    pub dashboard: Option<Arc<str>>,
    /// A test from `POST /api/channels/{id}/test`, not a real alert.
    pub test: bool,
    /// Sent again (`repeat_every`): still firing, nobody acknowledged it.
    pub repeat: bool,
}

fn timestamp(ms: i64) -> String {
    humantime::format_rfc3339_seconds(sysmonstm_protocol::clock::from_ms(ms)).to_string()
}

fn elapsed(from_ms: i64, to_ms: i64) -> String {
    let secs = u64::try_from((to_ms - from_ms) / 1000).unwrap_or(0);
    humantime::format_duration(Duration::from_secs(secs)).to_string()
}

/// `value` as the metric's unit reads (percentages, bytes, rates).
pub fn value_text(metric: &str, value: f64) -> String {
    if metric == crate::alerts::rule::OFFLINE {
        return format!("offline for {}", humantime::format_duration(Duration::from_secs(value.max(0.0) as u64)));
    }
    if metric.ends_with("_percent") {
        format!("{value:.1} %")
    } else if metric.ends_with("_bps") {
        format!("{}/s", bytesize::ByteSize(value.max(0.0) as u64))
    } else if metric == "memory_used" {
        bytesize::ByteSize(value.max(0.0) as u64).to_string()
    } else if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

fn comparison_text(comparison: Comparison) -> &'static str {
    match comparison {
        Comparison::Greater => ">",
        Comparison::GreaterOrEqual => "≥",
        Comparison::Less => "<",
        Comparison::LessOrEqual => "≤",
    }
}

pub fn labels_text(labels: &Labels) -> String {
    labels.iter().map(|(k, v)| if v.is_empty() { k.clone() } else { format!("{k}={v}") }).collect::<Vec<_>>().join(", ")
}

impl Notification {
    pub fn firing(&self) -> bool {
        self.state == AlertState::Firing
    }

    pub fn severity(&self) -> Severity {
        self.rule.severity
    }

    /// `FIRING`, `STILL FIRING`, `RESOLVED` or `TEST`.
    pub fn state_word(&self) -> &'static str {
        match (self.test, self.state) {
            (true, _) => "TEST",
            (false, AlertState::Firing) if self.repeat => "STILL FIRING",
            (false, AlertState::Firing) => "FIRING",
            (false, AlertState::Resolved) => "RESOLVED",
        }
    }

    /// The machines, named in one phrase (`web-1`, or `5 machines`).
    pub fn machines_phrase(&self) -> String {
        match self.alerts.as_slice() {
            [one] => one.machine_id.clone(),
            many => format!("{} machines", many.len()),
        }
    }

    /// One line: `[FIRING] CPU above 90 %: web-1`.
    pub fn title(&self) -> String {
        if self.test {
            return format!("[TEST] sysmonstm: {}", self.rule.name);
        }
        let mut title = format!("[{}] {}: {}", self.state_word(), self.rule.name, self.machines_phrase());
        if !self.group.is_empty() {
            title.push_str(&format!(" ({})", labels_text(&self.group)));
        }
        title
    }

    /// The machine's page on the dashboard.
    pub fn link(&self, machine_id: &str) -> Option<String> {
        let base = self.dashboard.as_deref()?.trim_end_matches('/');
        Some(format!("{base}/#/machine/{}", percent_encoding::utf8_percent_encode(machine_id, COMPONENT)))
    }

    /// The link a whole notification opens: the machine's page for one
    /// alert, the alerts page for a group.
    pub fn main_link(&self) -> Option<String> {
        match self.alerts.as_slice() {
            [one] => self.link(&one.machine_id),
            _ => self.dashboard.as_deref().map(|base| format!("{}/#/alerts", base.trim_end_matches('/'))),
        }
    }

    /// What the value did: `cpu_percent 96.2 % > 90.0 %`, `disk_percent on
    /// /data 95.0 % > 90.0 %`, `disk_percent on /data: full in 5h 12m (within 1day)`.
    pub fn reading(&self, alert: &Alert) -> String {
        let base = self.rule.metric.split('{').next().unwrap_or(&self.rule.metric);
        let metric = match &alert.part {
            Some(part) => format!("{base} on {part}"),
            None => base.to_owned(),
        };
        let metric = metric.as_str();
        if self.rule.kind == RuleKind::Predict {
            let level = value_text(base, self.rule.threshold.unwrap_or(crate::alerts::rule::PREDICT_LEVEL));
            let horizon = self.rule.horizon.map(|h| humantime::format_duration(h).to_string()).unwrap_or_default();
            return match (alert.state, alert.value) {
                (AlertState::Firing, secs) if secs >= 0.0 => {
                    let left = humantime::format_duration(Duration::from_secs(secs as u64));
                    format!("{metric}: reaches {level} in {left} at its current rate (within {horizon})")
                }
                _ => format!("{metric}: no longer heading for {level} within {horizon}"),
            };
        }
        match (self.rule.comparison, alert.threshold) {
            (Some(comparison), Some(threshold)) if alert.state == AlertState::Firing => format!(
                "{metric} {} {} {}",
                value_text(base, alert.value),
                comparison_text(comparison),
                value_text(base, threshold)
            ),
            (Some(_), Some(threshold)) => {
                format!("{metric} {} (threshold {})", value_text(base, alert.value), value_text(base, threshold))
            }
            _ => value_text(base, alert.value),
        }
    }

    /// How long: `since … (for 5m)` while firing, `after 12m 3s` once resolved.
    pub fn duration(&self, alert: &Alert) -> String {
        match alert.resolved_at {
            Some(resolved) => {
                format!("resolved at {} after {}", timestamp(resolved), elapsed(alert.started_at, resolved))
            }
            None => format!("firing since {}", timestamp(alert.started_at)),
        }
    }

    /// The busiest processes when it fired: `busy (pid 7) 95.0 % CPU, 1.2 GB`.
    pub fn processes(&self, alert: &Alert) -> Option<String> {
        if alert.top_processes.is_empty() {
            return None;
        }
        let listed: Vec<String> = alert
            .top_processes
            .iter()
            .take(TOP_PROCESSES)
            .map(|p| format!("{} (pid {}) {:.1} % CPU, {}", p.name, p.pid, p.cpu_percent, bytesize::ByteSize(p.rss)))
            .collect();
        Some(listed.join("; "))
    }

    /// The lines about one alert (without its link).
    pub fn alert_lines(&self, alert: &Alert) -> Vec<String> {
        let mut lines = vec![format!("{}: {}", alert.machine_id, self.reading(alert))];
        if !alert.labels.is_empty() {
            lines.push(format!("labels: {}", labels_text(&alert.labels)));
        }
        lines.push(self.duration(alert));
        if self.firing() {
            if let Some(processes) = self.processes(alert) {
                lines.push(format!("top processes: {processes}"));
            }
        }
        lines
    }

    /// The whole message as plain text (email, ntfy, Gotify, Telegram).
    pub fn text(&self) -> String {
        if self.test {
            return "A test message from sysmonstm: this channel works.".to_owned();
        }
        let mut out =
            format!("{} ({}) is {}", self.rule.name, self.severity().name(), self.state_word().to_lowercase());
        if !self.rule.description.is_empty() {
            out.push_str(&format!("\n{}", self.rule.description));
        }
        for alert in &self.alerts {
            out.push_str("\n\n");
            out.push_str(&self.alert_lines(alert).join("\n"));
            if let Some(link) = self.link(&alert.machine_id) {
                out.push_str(&format!("\n{link}"));
            }
        }
        out
    }

    /// A notification that tests a channel: a made-up rule and alert.
    pub fn test(channel_name: &str, dashboard: Option<Arc<str>>, now: i64) -> Notification {
        let mut rule = crate::alerts::rule::defaults(now).remove(0);
        rule.id = "test".into();
        rule.name = format!("test of channel `{channel_name}`");
        let alert = Alert {
            id: format!("test-{now}"),
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            machine_id: "sysmonstm-test".into(),
            part: None,
            labels: Labels::new(),
            severity: rule.severity,
            state: AlertState::Firing,
            value: 0.0,
            threshold: rule.threshold,
            started_at: now,
            resolved_at: None,
            top_processes: Vec::new(),
            silenced: false,
            acknowledged: None,
        };
        Notification {
            state: AlertState::Firing,
            rule: Arc::new(rule),
            alerts: vec![Arc::new(alert)],
            group: Labels::new(),
            dashboard,
            test: true,
            repeat: false,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use sysmonstm_protocol::model::ProcessInfo;

    pub fn alert(machine: &str, state: AlertState) -> Arc<Alert> {
        Arc::new(Alert {
            id: format!("a-{machine}"),
            rule_id: "default-cpu".into(),
            rule_name: "CPU above 90 % for 5 minutes".into(),
            machine_id: machine.into(),
            part: None,
            labels: [("env".to_owned(), "prod".to_owned())].into(),
            severity: Severity::Warning,
            state,
            value: 96.25,
            threshold: Some(90.0),
            started_at: 1_700_000_000_000,
            resolved_at: (state == AlertState::Resolved).then_some(1_700_000_723_000),
            top_processes: vec![ProcessInfo { pid: 7, name: "busy".into(), cpu_percent: 95.0, rss: 1_200_000_000 }],
            silenced: false,
            acknowledged: None,
        })
    }

    pub fn notification(state: AlertState, machines: &[&str]) -> Notification {
        Notification {
            state,
            rule: Arc::new(crate::alerts::rule::defaults(0).remove(0)),
            alerts: machines.iter().map(|m| alert(m, state)).collect(),
            group: Labels::new(),
            dashboard: Some(Arc::from("https://hub.example.com/")),
            test: false,
            repeat: false,
        }
    }

    #[test]
    fn one_alert_reads_with_its_value_labels_processes_and_link() {
        let n = notification(AlertState::Firing, &["web 1"]);
        assert_eq!(n.title(), "[FIRING] CPU above 90 % for 5 minutes: web 1");
        let text = n.text();
        for part in [
            "web 1: cpu_percent 96.2 % > 90.0 %",
            "labels: env=prod",
            "firing since 2023-11-14T22:13:20Z",
            "top processes: busy (pid 7) 95.0 % CPU, 1.1 GiB",
            "https://hub.example.com/#/machine/web%201",
        ] {
            assert!(text.contains(part), "{part:?} in {text}");
        }
    }

    #[test]
    fn parts_and_predictions_read_as_such() {
        let mut n = notification(AlertState::Firing, &["db-1"]);
        let mut rule = crate::alerts::rule::defaults(0).remove(2);
        rule.metric = r#"disk_percent{mount="/var*"}"#.into();
        n.rule = Arc::new(rule.clone());
        let mut alert = (*n.alerts[0]).clone();
        alert.part = Some("/var/lib".into());
        assert_eq!(n.reading(&alert), "disk_percent on /var/lib 96.2 % > 90.0 %");
        rule.kind = RuleKind::Predict;
        rule.horizon = Some(Duration::from_secs(86_400));
        rule.threshold = Some(100.0);
        n.rule = Arc::new(rule);
        alert.value = 5.0 * 3600.0;
        assert_eq!(
            n.reading(&alert),
            "disk_percent on /var/lib: reaches 100.0 % in 5h at its current rate (within 1day)"
        );
        alert.state = AlertState::Resolved;
        assert!(n.reading(&alert).contains("no longer heading for 100.0 %"));
    }

    #[test]
    fn a_resolve_says_how_long_and_a_group_counts_machines() {
        let resolved = notification(AlertState::Resolved, &["web-1"]);
        assert!(resolved.text().contains("resolved at 2023-11-14T22:25:23Z after 12m 3s"), "{}", resolved.text());
        assert!(!resolved.text().contains("top processes"), "no processes on a resolve");
        let mut group = notification(AlertState::Firing, &["a", "b", "c"]);
        group.group = [("rack".to_owned(), "r1".to_owned())].into();
        assert_eq!(group.title(), "[FIRING] CPU above 90 % for 5 minutes: 3 machines (rack=r1)");
        assert_eq!(group.main_link().as_deref(), Some("https://hub.example.com/#/alerts"));
        assert_eq!(value_text("net_rx_bps", 2_500_000.0), "2.4 MiB/s");
        assert_eq!(value_text("offline", 90.0), "offline for 1m 30s");
        assert_eq!(value_text("process_count", 12.0), "12");
    }
}
