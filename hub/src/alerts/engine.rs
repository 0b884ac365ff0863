//! The alert state machine, per (rule, machine):
//!
//! ```text
//! inactive --breach--> pending --breach held `for`--> firing --cleared held `clear_for`--> resolved (= inactive)
//!              ^------ no breach ------'
//! ```
//!
//! A breach is the rule's comparison against `threshold`; cleared means the
//! value is back past `clear_threshold` (the threshold when unset). Between
//! the two (hysteresis band) a firing alert neither resolves nor re-fires.
//! Offline rules breach while the machine is offline, counted from when it
//! went offline. Time is passed in (`now`, ms), never read here.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sysmonstm_protocol::model::{HostInfo, ProcessInfo, Sample};

use super::part::{self, Target};
use super::rule::{Rule, RuleKind, Severity, PREDICT_CLEAR_FACTOR, PREDICT_LEVEL};
use super::trend::Trend;
use crate::labels::Labels;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    Firing,
    Resolved,
}

/// An alert event, as stored and sent to browsers and webhooks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: String,
    pub rule_id: String,
    pub rule_name: String,
    pub machine_id: String,
    /// The part of the machine (a mount, an interface, a core) for rules on parts.
    #[serde(default)]
    pub part: Option<String>,
    /// The machine's labels when it fired (alerts stored before labels have none).
    #[serde(default)]
    pub labels: Labels,
    pub severity: Severity,
    pub state: AlertState,
    /// The value that fired it (seconds offline for offline rules, seconds
    /// until the level for predictive ones), then the value at resolve.
    pub value: f64,
    pub threshold: Option<f64>,
    pub started_at: i64,
    pub resolved_at: Option<i64>,
    /// The busiest processes when it fired.
    pub top_processes: Vec<ProcessInfo>,
    /// A silence or maintenance window holds its notifications back.
    #[serde(default)]
    pub silenced: bool,
    /// Who acknowledged it (no more repeats), when it was.
    #[serde(default)]
    pub acknowledged: Option<Ack>,
}

/// An acknowledgement of a firing alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    pub by: String,
    pub at: i64,
    pub comment: String,
}

/// Why an alert cannot be acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    #[error("no firing alert `{0}` (a resolved alert needs no acknowledgement)")]
    NotFiring(String),
    #[error("alert `{id}` was acknowledged already, by {by}")]
    Already { id: String, by: String },
}

/// What the engine last heard of a machine.
#[derive(Debug, Clone)]
struct Facts {
    sample: Option<Arc<Sample>>,
    host: Arc<HostInfo>,
    /// The machine's labels as viewers see them (agent, token and hub-side).
    labels: Labels,
    online: bool,
    /// When the machine went offline (ms), while it is.
    offline_since: Option<i64>,
}

#[derive(Debug, Clone)]
enum Phase {
    Pending { since: i64 },
    Firing { alert: Box<Alert>, clear_since: Option<i64> },
}

/// (rule, machine, part): what one alert is about (the part is "" for a
/// whole-machine rule).
type Key = (String, String, String);

/// A rule with its selector glob and metric compiled once per version.
struct Compiled {
    rule: Rule,
    /// None for `*`.
    selector: Option<glob::Pattern>,
    /// None for offline rules.
    target: Option<Target>,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled").field("rule", &self.rule.id).finish()
    }
}

impl Compiled {
    fn new(rule: Rule) -> Compiled {
        let selector = (rule.selector != "*").then(|| glob::Pattern::new(&rule.selector).ok()).flatten();
        let target = if rule.is_offline() { None } else { part::parse(&rule.metric).ok() };
        Compiled { rule, selector, target }
    }

    /// Whether the rule applies to `machine_id` carrying `labels`.
    fn selects(&self, machine_id: &str, labels: &Labels) -> bool {
        self.rule.labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.selector.as_ref().is_none_or(|p| p.matches(machine_id))
            && (self.rule.selector == "*" || self.selector.is_some())
    }
}

/// Rules, machine facts, per-(rule, machine, part) phases and the trends
/// predictive rules follow.
#[derive(Debug, Default)]
pub struct Engine {
    rules: HashMap<String, Compiled>,
    facts: HashMap<String, Facts>,
    phases: HashMap<Key, Phase>,
    trends: HashMap<Key, Trend>,
    /// Rule evaluations since start (for /metrics).
    pub evaluations: u64,
}

/// What one step judges.
struct Reading {
    breach: bool,
    cleared: bool,
    value: f64,
    /// Since when it breaches (offline rules count from going offline).
    breach_since: i64,
}

fn new_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

impl Engine {
    pub fn new(rules: Vec<Rule>) -> Self {
        Engine { rules: rules.into_iter().map(|r| (r.id.clone(), Compiled::new(r))).collect(), ..Engine::default() }
    }

    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.values().map(|c| &c.rule)
    }

    /// Alerts firing now.
    pub fn firing(&self) -> Vec<Alert> {
        self.phases
            .values()
            .filter_map(|p| match p {
                Phase::Firing { alert, .. } => Some((**alert).clone()),
                Phase::Pending { .. } => None,
            })
            .collect()
    }

    /// The firing alert `id`, changed by `change` (its new self).
    fn change_firing(&mut self, id: &str, change: impl FnOnce(&mut Alert)) -> Option<Alert> {
        for phase in self.phases.values_mut() {
            if let Phase::Firing { alert, .. } = phase {
                if alert.id == id {
                    change(alert);
                    return Some((**alert).clone());
                }
            }
        }
        None
    }

    /// How many firing alerts `pick` picks.
    pub fn count_firing(&self, pick: impl Fn(&Alert) -> bool) -> usize {
        self.phases.values().filter(|p| matches!(p, Phase::Firing { alert, .. } if pick(alert))).count()
    }

    /// Marks a firing alert silenced (or not) as it fires.
    pub fn set_silenced(&mut self, id: &str, silenced: bool) {
        self.change_firing(id, |a| a.silenced = silenced);
    }

    /// Acknowledges a firing alert; the alert as it now is.
    pub fn acknowledge(&mut self, id: &str, ack: Ack) -> Result<Alert, AckError> {
        let already = self.phases.values().find_map(|phase| match phase {
            Phase::Firing { alert, .. } if alert.id == id => Some(alert.acknowledged.clone()),
            _ => None,
        });
        match already {
            None => Err(AckError::NotFiring(id.to_owned())),
            Some(Some(before)) => Err(AckError::Already { id: id.to_owned(), by: before.by }),
            Some(None) => {
                self.change_firing(id, |a| a.acknowledged = Some(ack)).ok_or_else(|| AckError::NotFiring(id.to_owned()))
            }
        }
    }

    /// Marks each firing alert silenced or not as `silenced` says; the
    /// alerts that changed, as they now are.
    pub fn resilence(&mut self, silenced: impl Fn(&Alert) -> bool) -> Vec<Alert> {
        let mut changed = Vec::new();
        for phase in self.phases.values_mut() {
            if let Phase::Firing { alert, .. } = phase {
                let now_silenced = silenced(alert);
                if alert.silenced != now_silenced {
                    alert.silenced = now_silenced;
                    changed.push((**alert).clone());
                }
            }
        }
        changed
    }

    /// Puts back alerts that were firing before a restart (not re-notified).
    pub fn restore(&mut self, alerts: Vec<Alert>) {
        for alert in alerts.into_iter().filter(|a| a.state == AlertState::Firing) {
            if self.rules.get(&alert.rule_id).is_some_and(|c| c.rule.enabled) {
                let key = (alert.rule_id.clone(), alert.machine_id.clone(), alert.part.clone().unwrap_or_default());
                self.phases.insert(key, Phase::Firing { alert: Box::new(alert), clear_since: None });
            }
        }
    }

    /// A new sample of a machine (online), carrying `labels`.
    pub fn observe(
        &mut self,
        machine_id: &str,
        sample: Arc<Sample>,
        host: Arc<HostInfo>,
        labels: &Labels,
        now: i64,
    ) -> Vec<Alert> {
        let mut events = self.relabel(machine_id, labels, now);
        let facts = self.facts_of(machine_id);
        (facts.sample, facts.host, facts.online, facts.offline_since) = (Some(sample), host, true, None);
        events.extend(self.evaluate_machine(machine_id, now));
        events
    }

    /// A machine went offline.
    pub fn offline(&mut self, machine_id: &str, labels: &Labels, now: i64) -> Vec<Alert> {
        let mut events = self.relabel(machine_id, labels, now);
        let facts = self.facts_of(machine_id);
        facts.online = false;
        facts.offline_since.get_or_insert(now);
        events.extend(self.evaluate_machine(machine_id, now));
        events
    }

    /// The machine's facts, made for a new machine (its id copied only then:
    /// this runs for every sample).
    fn facts_of(&mut self, machine_id: &str) -> &mut Facts {
        if !self.facts.contains_key(machine_id) {
            let fresh = Facts {
                sample: None,
                host: Arc::new(HostInfo::default()),
                labels: Labels::new(),
                online: false,
                offline_since: None,
            };
            self.facts.insert(machine_id.to_owned(), fresh);
        }
        self.facts.get_mut(machine_id).expect("facts inserted just above")
    }

    /// Brings a machine's labels up to date (copied only when they changed:
    /// this runs for every sample); rules that stop selecting it resolve
    /// their alerts on it, as a narrowed selector does.
    fn relabel(&mut self, machine_id: &str, labels: &Labels, now: i64) -> Vec<Alert> {
        let facts = self.facts_of(machine_id);
        if facts.labels == *labels {
            return Vec::new();
        }
        facts.labels = labels.clone();
        self.resolve_where(now, |rule, machine, labels| machine == machine_id && !rule.selects(machine, labels))
    }

    /// A machine was removed: its firing alerts resolve, and the engine
    /// forgets it (a machine of that id reporting later starts afresh).
    pub fn forget_machine(&mut self, machine_id: &str, now: i64) -> Vec<Alert> {
        let events = self.resolve_where(now, |_, machine, _| machine == machine_id);
        self.phases.retain(|(_, machine, _), _| machine != machine_id);
        self.trends.retain(|(_, machine, _), _| machine != machine_id);
        self.facts.remove(machine_id);
        events
    }

    /// Re-evaluates everything against the clock (offline and `for` without new samples).
    pub fn tick(&mut self, now: i64) -> Vec<Alert> {
        let machines: Vec<String> = self.facts.keys().cloned().collect();
        machines.iter().flat_map(|m| self.evaluate_machine(m, now)).collect()
    }

    /// Creates or replaces a rule. Disabling it resolves its alerts, as does
    /// narrowing its selector away from a machine; the rest applies at the
    /// next evaluation.
    pub fn upsert_rule(&mut self, rule: Rule, now: i64) -> Vec<Alert> {
        let id = rule.id.clone();
        let changed_metric =
            self.rules.get(&id).is_some_and(|c| (&c.rule.metric, c.rule.kind) != (&rule.metric, rule.kind));
        self.rules.insert(id.clone(), Compiled::new(rule));
        let mut events = self.resolve_where(now, |c, machine, labels| {
            c.rule.id == id && (changed_metric || !c.rule.enabled || !c.selects(machine, labels))
        });
        if changed_metric {
            self.trends.retain(|(rule, _, _), _| *rule != id);
        }
        let machines: Vec<String> = self.facts.keys().cloned().collect();
        for machine in machines {
            events.extend(self.evaluate(&id, &machine, now));
        }
        events
    }

    /// Deletes a rule, resolving its alerts.
    pub fn remove_rule(&mut self, id: &str, now: i64) -> Vec<Alert> {
        let events = self.resolve_where(now, |c, _, _| c.rule.id == id);
        self.rules.remove(id);
        self.phases.retain(|(rule, _, _), _| rule != id);
        self.trends.retain(|(rule, _, _), _| rule != id);
        events
    }

    fn resolve_where(&mut self, now: i64, pick: impl Fn(&Compiled, &str, &Labels) -> bool) -> Vec<Alert> {
        let none = Labels::new();
        let keys: Vec<Key> = self
            .phases
            .keys()
            .filter(|(rule, machine, _)| {
                let labels = self.facts.get(machine).map_or(&none, |f| &f.labels);
                self.rules.get(rule).is_some_and(|r| pick(r, machine, labels))
            })
            .cloned()
            .collect();
        keys.into_iter()
            .filter_map(|key| match self.phases.remove(&key) {
                Some(Phase::Firing { alert, .. }) => Some(resolved(*alert, None, now)),
                _ => None,
            })
            .collect()
    }

    fn evaluate_machine(&mut self, machine_id: &str, now: i64) -> Vec<Alert> {
        let rules: Vec<String> = self.rules.keys().cloned().collect();
        rules.iter().flat_map(|r| self.evaluate(r, machine_id, now)).collect()
    }

    /// One (rule, machine) step: one judgement for a whole-machine rule,
    /// one per matching part otherwise (a part that went away counts as cleared).
    fn evaluate(&mut self, rule_id: &str, machine_id: &str, now: i64) -> Vec<Alert> {
        let (Some(compiled), Some(facts)) = (self.rules.get(rule_id), self.facts.get(machine_id)) else {
            return Vec::new();
        };
        if !compiled.rule.enabled || !compiled.selects(machine_id, &facts.labels) {
            return Vec::new();
        }
        self.evaluations += 1;
        let rule = &compiled.rule;
        let Some(target) = &compiled.target else {
            let since = facts.offline_since.unwrap_or(now);
            let offline = !facts.online;
            let value = if offline { (now - since) as f64 / 1000.0 } else { 0.0 };
            let reading = Reading { breach: offline, cleared: !offline, value, breach_since: since };
            return self.step(rule_id, machine_id, String::new(), reading, now).into_iter().collect();
        };
        // A machine that is offline keeps its metric alerts as they are.
        let Some(sample) = facts.sample.as_ref().filter(|_| facts.online) else { return Vec::new() };
        let readings = target.readings(sample, &facts.host);
        let (kind, horizon, window, level) = (rule.kind, rule.horizon, rule.window, rule.threshold);
        let (comparison, clear_at) = (rule.comparison, rule.clear_at());
        let mut judged: Vec<(String, Reading)> = Vec::with_capacity(readings.len());
        for (part, value) in readings {
            let reading = match kind {
                RuleKind::Threshold => {
                    let (Some(comparison), Some(threshold), Some(clear_at)) = (comparison, level, clear_at) else {
                        continue;
                    };
                    let (breach, cleared) = (comparison.holds(value, threshold), !comparison.holds(value, clear_at));
                    Reading { breach, cleared, value, breach_since: now }
                }
                RuleKind::Predict => {
                    let (Some(horizon), Some(window)) = (horizon, window) else { continue };
                    let key = (rule_id.to_owned(), machine_id.to_owned(), part.clone());
                    let trend = self.trends.entry(key).or_insert_with(|| Trend::new(window));
                    trend.push(now, value);
                    predicted(trend.time_to(level.unwrap_or(PREDICT_LEVEL), now), horizon, now)
                }
            };
            judged.push((part, reading));
        }
        // Parts that fire or wait and were not read now: gone, so cleared
        // (a whole-machine rule always reads its one value: no scan).
        if matches!(target, Target::Parts { .. }) {
            let gone: Vec<String> = self
                .phases
                .keys()
                .filter(|(r, m, part)| r == rule_id && m == machine_id && !judged.iter().any(|(p, _)| p == part))
                .map(|(_, _, part)| part.clone())
                .collect();
            let cleared = || Reading { breach: false, cleared: true, value: 0.0, breach_since: now };
            judged.extend(gone.into_iter().map(|part| (part, cleared())));
        }
        judged.into_iter().filter_map(|(part, reading)| self.step(rule_id, machine_id, part, reading, now)).collect()
    }

    /// The state machine of one alert.
    fn step(&mut self, rule_id: &str, machine_id: &str, part: String, r: Reading, now: i64) -> Option<Alert> {
        let compiled = self.rules.get(rule_id)?;
        let rule = &compiled.rule;
        let facts = self.facts.get(machine_id)?;
        let key = (rule_id.to_owned(), machine_id.to_owned(), part);
        let for_ms = rule.for_.as_millis() as i64;
        let clear_for_ms = rule.clear_for.as_millis() as i64;
        let (breach, cleared, value) = (r.breach, r.cleared, r.value);
        match self.phases.get(&key).cloned() {
            None if breach => {
                if now - r.breach_since >= for_ms {
                    let alert = fire(rule, machine_id, &key.2, value, facts, now);
                    self.phases.insert(key, Phase::Firing { alert: Box::new(alert.clone()), clear_since: None });
                    return Some(alert);
                }
                self.phases.insert(key, Phase::Pending { since: r.breach_since });
                None
            }
            None => None,
            Some(Phase::Pending { .. }) if !breach => {
                self.phases.remove(&key);
                None
            }
            Some(Phase::Pending { since }) => {
                if now - since >= for_ms {
                    let alert = fire(rule, machine_id, &key.2, value, facts, now);
                    self.phases.insert(key, Phase::Firing { alert: Box::new(alert.clone()), clear_since: None });
                    return Some(alert);
                }
                None
            }
            Some(Phase::Firing { alert, clear_since }) => {
                if !cleared {
                    self.phases.insert(key, Phase::Firing { alert, clear_since: None });
                    return None;
                }
                let since = clear_since.unwrap_or(now);
                if now - since >= clear_for_ms {
                    self.phases.remove(&key);
                    return Some(resolved(*alert, Some(value), now));
                }
                self.phases.insert(key, Phase::Firing { alert, clear_since: Some(since) });
                None
            }
        }
    }
}

/// A predictive judgement: the projected time to the level, in seconds
/// (-1 when the series is not heading there), against the horizon, with
/// hysteresis: it clears only once the projection is well past the horizon.
fn predicted(left: Option<std::time::Duration>, horizon: std::time::Duration, now: i64) -> Reading {
    let horizon = horizon.as_secs_f64();
    match left.map(|d| d.as_secs_f64()) {
        Some(secs) => Reading {
            breach: secs <= horizon,
            cleared: secs > horizon * PREDICT_CLEAR_FACTOR,
            value: secs,
            breach_since: now,
        },
        None => Reading { breach: false, cleared: true, value: -1.0, breach_since: now },
    }
}

fn fire(rule: &Rule, machine_id: &str, part: &str, value: f64, facts: &Facts, now: i64) -> Alert {
    let threshold = match rule.kind {
        RuleKind::Threshold => rule.threshold,
        RuleKind::Predict => rule.horizon.map(|h| h.as_secs_f64()),
    };
    Alert {
        id: new_id(),
        rule_id: rule.id.clone(),
        rule_name: rule.name.clone(),
        machine_id: machine_id.to_owned(),
        part: (!part.is_empty()).then(|| part.to_owned()),
        labels: facts.labels.clone(),
        severity: rule.severity,
        state: AlertState::Firing,
        value,
        threshold,
        started_at: now,
        resolved_at: None,
        top_processes: facts.sample.as_ref().map(|s| s.top_processes.clone()).unwrap_or_default(),
        silenced: false,
        acknowledged: None,
    }
}

fn resolved(mut alert: Alert, value: Option<f64>, now: i64) -> Alert {
    alert.state = AlertState::Resolved;
    alert.resolved_at = Some(now);
    if let Some(value) = value {
        alert.value = value;
    }
    alert
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::rule::{from_input, Policy};
    use serde_json::json;
    use sysmonstm_protocol::model::CpuStats;

    const S: i64 = 1000;

    fn rule(id: &str, input: serde_json::Value) -> Rule {
        from_input(&input, id.into(), 1, 0, 0, Policy::default()).expect("valid rule")
    }

    fn cpu(value: f64) -> Arc<Sample> {
        Arc::new(Sample {
            cpu: CpuStats { total_percent: value, ..Default::default() },
            top_processes: vec![ProcessInfo { pid: 7, name: "busy".into(), cpu_percent: value, rss: 1 }],
            ..Default::default()
        })
    }

    fn host() -> Arc<HostInfo> {
        Arc::new(HostInfo::default())
    }

    fn hot(for_: &str, clear_for: &str) -> Rule {
        rule(
            "hot",
            json!({"name": "hot", "metric": "cpu_percent", "comparison": ">", "threshold": 90,
            "clear_threshold": 70, "for": for_, "clear_for": clear_for}),
        )
    }

    /// Feeds one value a second from `start`; returns the events with their times.
    fn feed(engine: &mut Engine, values: &[f64], start: i64) -> Vec<(i64, AlertState)> {
        let mut events = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let now = start + i as i64 * S;
            for e in engine.observe("m1", cpu(*v), host(), &Labels::new(), now) {
                events.push((now, e.state));
            }
        }
        events
    }

    #[test]
    fn fires_only_after_for_and_resolves_after_clear_for() {
        let mut engine = Engine::new(vec![hot("3s", "2s")]);
        // 95 at t=0..=2: pending for 2 s, not yet 3 s.
        assert!(feed(&mut engine, &[95.0, 95.0, 95.0], 0).is_empty());
        // t=3: held 3 s -> fires, with the process snapshot.
        let fired = engine.observe("m1", cpu(96.0), host(), &Labels::new(), 3 * S);
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].state, AlertState::Firing);
        assert_eq!(fired[0].top_processes[0].name, "busy");
        assert_eq!(fired[0].value, 96.0);
        // Cleared at t=4, 5 (1 s), 6 (2 s) -> resolves at t=6.
        let events = feed(&mut engine, &[60.0, 60.0, 60.0], 4 * S);
        assert_eq!(events, vec![(6 * S, AlertState::Resolved)]);
        assert!(engine.firing().is_empty());
    }

    #[test]
    fn a_dip_resets_pending() {
        let mut engine = Engine::new(vec![hot("3s", "0s")]);
        assert!(feed(&mut engine, &[95.0, 95.0, 50.0, 95.0, 95.0, 95.0], 0).is_empty(), "never held 3 s");
        assert_eq!(feed(&mut engine, &[95.0], 6 * S), vec![(6 * S, AlertState::Firing)]);
    }

    #[test]
    fn oscillation_in_the_band_fires_once_and_resolves_once() {
        let mut engine = Engine::new(vec![hot("0s", "0s")]);
        // Above 90 fires; between 70 and 90 is the band; 65 clears.
        let series = [95.0, 85.0, 92.0, 75.0, 91.0, 80.0, 99.0, 71.0, 65.0, 85.0, 88.0];
        let events = feed(&mut engine, &series, 0);
        assert_eq!(events, vec![(0, AlertState::Firing), (8 * S, AlertState::Resolved)]);
    }

    #[test]
    fn clear_for_requires_the_clear_to_hold() {
        let mut engine = Engine::new(vec![hot("0s", "3s")]);
        let events = feed(&mut engine, &[95.0, 60.0, 60.0, 80.0, 60.0, 60.0, 60.0, 60.0], 0);
        // Cleared at t=1,2 then back in the band at t=3 (resets); cleared from t=4, held 3 s at t=7.
        assert_eq!(events, vec![(0, AlertState::Firing), (7 * S, AlertState::Resolved)]);
    }

    #[test]
    fn offline_rule_fires_after_for_counted_from_going_offline() {
        let offline = rule("off", json!({"name": "gone", "metric": "offline", "for": "60s", "severity": "critical"}));
        let mut engine = Engine::new(vec![offline]);
        engine.observe("m1", cpu(10.0), host(), &Labels::new(), 0);
        assert!(engine.offline("m1", &Labels::new(), 10 * S).is_empty());
        assert!(engine.tick(69 * S).is_empty());
        let fired = engine.tick(70 * S);
        assert_eq!(fired.len(), 1);
        assert_eq!((fired[0].state, fired[0].severity, fired[0].value), (AlertState::Firing, Severity::Critical, 60.0));
        assert!(engine.tick(80 * S).is_empty(), "fires once");
        let back = engine.observe("m1", cpu(10.0), host(), &Labels::new(), 90 * S);
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].state, AlertState::Resolved);
    }

    #[test]
    fn edits_disables_and_deletes_mid_state() {
        let mut engine = Engine::new(vec![hot("0s", "0s")]);
        assert_eq!(feed(&mut engine, &[95.0], 0).len(), 1);
        // Raising the threshold above the value: resolves at the next sample (value 95 <= clear 97).
        let raised = rule("hot", json!({"name": "hot", "metric": "cpu_percent", "comparison": ">", "threshold": 98}));
        assert!(engine.upsert_rule(raised, S).iter().all(|e| e.state == AlertState::Resolved));
        assert!(engine.firing().is_empty());
        // Fire again, then disable: resolves at once.
        let mut low = hot("0s", "0s");
        low.threshold = Some(50.0);
        low.clear_threshold = None;
        engine.upsert_rule(low.clone(), 2 * S);
        assert_eq!(engine.firing().len(), 1);
        let mut disabled = low.clone();
        disabled.enabled = false;
        let events = engine.upsert_rule(disabled, 3 * S);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].state, AlertState::Resolved);
        assert!(feed(&mut engine, &[99.0], 4 * S).is_empty(), "disabled rules do not fire");
        // Enable and fire, then delete: resolves.
        engine.upsert_rule(low, 5 * S);
        assert_eq!(engine.firing().len(), 1);
        let deleted = engine.remove_rule("hot", 6 * S);
        assert_eq!(deleted.len(), 1);
        assert_eq!(deleted[0].resolved_at, Some(6 * S));
        assert!(feed(&mut engine, &[99.0], 7 * S).is_empty());
    }

    #[test]
    fn selector_limits_machines_and_restore_does_not_renotify() {
        let mut scoped = hot("0s", "0s");
        scoped.selector = "web-*".into();
        let mut engine = Engine::new(vec![scoped]);
        assert!(engine.observe("db-1", cpu(99.0), host(), &Labels::new(), 0).is_empty());
        let fired = engine.observe("web-1", cpu(99.0), host(), &Labels::new(), 0);
        assert_eq!(fired.len(), 1);

        let mut restarted = Engine::new(engine.rules().cloned().collect());
        restarted.restore(engine.firing());
        assert!(restarted.observe("web-1", cpu(99.0), host(), &Labels::new(), S).is_empty(), "restored, not re-fired");
        let resolved = restarted.observe("web-1", cpu(10.0), host(), &Labels::new(), 2 * S);
        assert_eq!(resolved[0].id, fired[0].id, "the same alert resolves");
    }

    #[test]
    fn label_rules_fire_only_on_matching_machines_and_resolve_when_a_label_goes() {
        let mut prod_only = hot("0s", "0s");
        prod_only.labels = [("env".to_owned(), "prod".to_owned())].into();
        let mut engine = Engine::new(vec![prod_only]);
        let prod: Labels = [("env".to_owned(), "prod".to_owned())].into();
        let staging: Labels = [("env".to_owned(), "staging".to_owned())].into();
        assert!(engine.observe("web-2", cpu(99.0), host(), &staging, 0).is_empty());
        let fired = engine.observe("web-1", cpu(99.0), host(), &prod, 0);
        assert_eq!((fired.len(), fired[0].machine_id.as_str()), (1, "web-1"));
        assert!(engine.observe("web-1", cpu(99.0), host(), &prod, S).is_empty(), "still firing, not again");
        // The label is changed on the hub: the rule no longer selects web-1.
        let gone = engine.observe("web-1", cpu(99.0), host(), &staging, 2 * S);
        assert_eq!(gone.len(), 1);
        assert_eq!((gone[0].id.as_str(), gone[0].state), (fired[0].id.as_str(), AlertState::Resolved));
        assert!(engine.firing().is_empty());
    }

    #[test]
    fn a_removed_machine_resolves_its_alerts_and_is_forgotten() {
        let mut engine = Engine::new(vec![hot("0s", "0s")]);
        let none = Labels::new();
        let fired = engine.observe("gone", cpu(99.0), host(), &none, 0);
        assert_eq!(fired.len(), 1);
        engine.observe("stays", cpu(99.0), host(), &none, 0);
        let resolved = engine.forget_machine("gone", S);
        assert_eq!((resolved.len(), resolved[0].id.as_str()), (1, fired[0].id.as_str()));
        assert_eq!(resolved[0].state, AlertState::Resolved);
        assert_eq!(engine.firing().len(), 1, "the other machine's alert stands");
        assert!(engine.tick(2 * S).is_empty(), "nothing is evaluated for a forgotten machine");
    }

    #[test]
    fn acknowledging_and_silencing_change_the_firing_alert() {
        let mut engine = Engine::new(vec![hot("0s", "0s")]);
        let none = Labels::new();
        let fired = engine.observe("m1", cpu(99.0), host(), &none, 0).remove(0);
        assert!(!fired.silenced && fired.acknowledged.is_none());
        let ack = Ack { by: "alice".into(), at: S, comment: "on it".into() };
        let acked = engine.acknowledge(&fired.id, ack.clone()).expect("acknowledged");
        assert_eq!(acked.acknowledged.as_ref(), Some(&ack));
        assert!(matches!(engine.acknowledge(&fired.id, ack.clone()), Err(AckError::Already { .. })));
        assert!(matches!(engine.acknowledge("nope", ack), Err(AckError::NotFiring(_))));
        let changed = engine.resilence(|a| a.machine_id == "m1");
        assert_eq!((changed.len(), changed[0].silenced), (1, true));
        assert!(engine.resilence(|a| a.machine_id == "m1").is_empty(), "only changes are reported");
        let resolved = engine.observe("m1", cpu(10.0), host(), &none, 2 * S);
        assert!(resolved[0].silenced && resolved[0].acknowledged.is_some(), "a resolve keeps both");
    }

    fn disks(pairs: &[(&str, f64)]) -> Arc<Sample> {
        Arc::new(Sample {
            disks: pairs
                .iter()
                .map(|(m, p)| sysmonstm_protocol::model::DiskUsage {
                    mount_point: (*m).into(),
                    percent: *p,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })
    }

    #[test]
    fn a_rule_on_one_disk_fires_for_it_alone_and_a_glob_for_each() {
        let data = rule(
            "data",
            json!({"name": "data full", "metric": "disk_percent{mount=\"/data\"}",
            "comparison": ">", "threshold": 90}),
        );
        let var = rule(
            "var",
            json!({"name": "var full", "metric": "disk_percent{mount=\"/var*\"}",
            "comparison": ">", "threshold": 80}),
        );
        let mut engine = Engine::new(vec![data, var]);
        let none = Labels::new();
        let sample = disks(&[("/", 95.0), ("/data", 93.0), ("/var/log", 85.0), ("/var/lib", 81.0), ("/home", 99.0)]);
        let mut fired: Vec<(String, Option<String>)> =
            engine.observe("m1", sample, host(), &none, 0).into_iter().map(|a| (a.rule_id, a.part)).collect();
        fired.sort();
        assert_eq!(
            fired,
            vec![
                ("data".into(), Some("/data".into())),
                ("var".into(), Some("/var/lib".into())),
                ("var".into(), Some("/var/log".into())),
            ],
            "/ and /home are full but no rule watches them"
        );
        // /var/log clears; /var/lib is unmounted (gone, so cleared): both resolve; /data stays.
        let later = engine.observe("m1", disks(&[("/", 95.0), ("/data", 93.0), ("/var/log", 50.0)]), host(), &none, S);
        let mut resolved: Vec<Option<String>> = later.iter().map(|a| a.part.clone()).collect();
        resolved.sort();
        assert_eq!(resolved, vec![Some("/var/lib".into()), Some("/var/log".into())]);
        assert!(later.iter().all(|a| a.state == AlertState::Resolved));
        assert_eq!(engine.firing().len(), 1);
    }

    #[test]
    fn a_predictive_rule_fires_when_the_line_reaches_full_within_the_horizon() {
        // Horizon 24 h over a 6 h window; the disk fills 1 % an hour from 40 %:
        // full in 60 h at first, within 24 h once past 76 %.
        let predict = rule(
            "p",
            json!({"name": "data fills", "metric": "disk_percent{mount=\"/data\"}",
            "kind": "predict", "horizon": "24h", "window": "6h"}),
        );
        let mut engine = Engine::new(vec![predict]);
        let none = Labels::new();
        let minute = 60 * S;
        let mut fired_at = None;
        for m in 0..(48 * 60) {
            let percent = 40.0 + m as f64 / 60.0;
            for alert in engine.observe("m1", disks(&[("/data", percent), ("/", 10.0)]), host(), &none, m * minute) {
                if alert.state == AlertState::Firing && fired_at.is_none() {
                    fired_at = Some((m, alert.value, alert.part.clone()));
                }
            }
        }
        let (m, seconds_left, part) = fired_at.expect("fires");
        // 76 % is reached at minute 2160 (36 h): 24 h left.
        assert!((2150..=2170).contains(&m), "fired at minute {m}");
        assert!((seconds_left - 24.0 * 3600.0).abs() < 600.0, "{seconds_left} s left");
        assert_eq!(part.as_deref(), Some("/data"));
    }

    #[test]
    fn a_predictive_alert_resolves_with_hysteresis_when_the_fill_slows() {
        let predict = rule(
            "p",
            json!({"name": "fills", "metric": "disk_percent", "kind": "predict",
            "horizon": "1h", "window": "10m"}),
        );
        let mut engine = Engine::new(vec![predict]);
        let none = Labels::new();
        let mut events = Vec::new();
        // 1 % a minute from 10 %: full in 90 min at first, within the hour once past 40 %.
        for m in 0..45 {
            events.extend(engine.observe("m1", cpu_disk(10.0 + m as f64), host(), &none, m * 60 * S));
        }
        assert_eq!(events.iter().filter(|a| a.state == AlertState::Firing).count(), 1);
        // Then it stops filling: the line flattens, the projection leaves the horizon; resolves once.
        for m in 45..70 {
            events.extend(engine.observe("m1", cpu_disk(54.0), host(), &none, m * 60 * S));
        }
        assert_eq!(events.iter().filter(|a| a.state == AlertState::Resolved).count(), 1);
    }

    fn cpu_disk(percent: f64) -> Arc<Sample> {
        disks(&[("/", percent)])
    }
}
