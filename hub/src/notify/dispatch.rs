//! When notifications go out, and which alerts each carries. Pure: alert
//! changes and the clock in, [`Notification`]s out.
//!
//! - A firing alert is notified once, unless a silence holds it back
//!   (`silenced`): then not until an unsilenced change of it arrives (the
//!   silence ended while it still fires).
//! - A rule with `group_by` gathers its alerts per group (the values of
//!   those labels) and state for `group_wait` from the first one, then
//!   sends them as one notification; a rule without sends each at once.
//!   An alert that resolves before its group went out is never sent.
//! - A resolve is sent for every alert whose firing was sent, silenced or
//!   not (closing a page that was opened is never held back).
//! - A rule with `repeat_every` sends a firing alert again that often while
//!   it fires unacknowledged and unsilenced (repeats due at one tick are
//!   grouped as above).

use std::collections::HashMap;
use std::sync::Arc;

use super::message::Notification;
use crate::alerts::engine::{Alert, AlertState};
use crate::alerts::rule::Rule;
use crate::labels::Labels;

/// One alert as the dispatcher follows it.
#[derive(Debug, Clone)]
struct Tracked {
    alert: Arc<Alert>,
    /// When its firing was last sent; None while it never was.
    notified_at: Option<i64>,
    /// Waiting in a group to go out.
    gathering: bool,
}

/// Alerts of one rule, state and group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct GroupKey {
    rule_id: String,
    state: AlertState,
    group: Vec<(String, String)>,
}

#[derive(Debug)]
struct Gathering {
    since: i64,
    alerts: Vec<Arc<Alert>>,
}

#[derive(Debug, Default)]
pub struct Dispatcher {
    tracked: HashMap<String, Tracked>,
    gathering: HashMap<GroupKey, Gathering>,
    rules: HashMap<String, Arc<Rule>>,
}

fn group_of(rule: &Rule, alert: &Alert) -> Vec<(String, String)> {
    rule.group_by.iter().map(|k| (k.clone(), alert.labels.get(k).cloned().unwrap_or_default())).collect()
}

fn notification(
    rule: Arc<Rule>,
    state: AlertState,
    alerts: Vec<Arc<Alert>>,
    group: &[(String, String)],
) -> Notification {
    Notification {
        state,
        rule,
        alerts,
        group: group.iter().cloned().collect::<Labels>(),
        dashboard: None,
        test: false,
        repeat: false,
    }
}

impl Dispatcher {
    /// Follows alerts that were firing (and notified) before a restart.
    pub fn restore(&mut self, firing: Vec<Alert>, rules: &[Rule], now: i64) {
        for rule in rules {
            self.rules.insert(rule.id.clone(), Arc::new(rule.clone()));
        }
        for alert in firing.into_iter().filter(|a| a.state == AlertState::Firing) {
            let tracked = Tracked { alert: Arc::new(alert), notified_at: Some(now), gathering: false };
            self.tracked.insert(tracked.alert.id.clone(), tracked);
        }
    }

    /// A rule as it now is (repeats and groups follow it).
    pub fn rule_changed(&mut self, rule: Arc<Rule>) {
        self.rules.insert(rule.id.clone(), rule);
    }

    /// Firing alerts followed now (for tests and `/metrics`).
    pub fn following(&self) -> usize {
        self.tracked.len()
    }

    /// An alert changed (fired, resolved, silenced or not, acknowledged);
    /// what to send at once.
    pub fn changed(&mut self, alert: Arc<Alert>, rule: Arc<Rule>, now: i64) -> Vec<Notification> {
        self.rules.insert(rule.id.clone(), rule.clone());
        match alert.state {
            AlertState::Firing => self.firing(alert, rule, now),
            AlertState::Resolved => self.resolved(alert, rule, now),
        }
    }

    fn firing(&mut self, alert: Arc<Alert>, rule: Arc<Rule>, now: i64) -> Vec<Notification> {
        let entry = self.tracked.entry(alert.id.clone()).or_insert_with(|| Tracked {
            alert: alert.clone(),
            notified_at: None,
            gathering: false,
        });
        entry.alert = alert.clone();
        if entry.notified_at.is_some() {
            // Already sent: an acknowledgement or silence only changes repeats.
            return Vec::new();
        }
        let key = GroupKey { rule_id: rule.id.clone(), state: AlertState::Firing, group: group_of(&rule, &alert) };
        if alert.silenced {
            if entry.gathering {
                entry.gathering = false;
                self.ungather(&key, &alert.id);
            }
            return Vec::new();
        }
        if entry.gathering {
            return Vec::new();
        }
        if rule.group_by.is_empty() {
            entry.notified_at = Some(now);
            return vec![notification(rule, AlertState::Firing, vec![alert], &key.group)];
        }
        entry.gathering = true;
        self.gathering.entry(key).or_insert_with(|| Gathering { since: now, alerts: Vec::new() }).alerts.push(alert);
        Vec::new()
    }

    fn resolved(&mut self, alert: Arc<Alert>, rule: Arc<Rule>, now: i64) -> Vec<Notification> {
        let Some(tracked) = self.tracked.remove(&alert.id) else { return Vec::new() };
        let group = group_of(&rule, &alert);
        if tracked.gathering {
            let key = GroupKey { rule_id: rule.id.clone(), state: AlertState::Firing, group };
            self.ungather(&key, &alert.id);
            return Vec::new();
        }
        if tracked.notified_at.is_none() {
            return Vec::new();
        }
        if rule.group_by.is_empty() {
            return vec![notification(rule, AlertState::Resolved, vec![alert], &group)];
        }
        let key = GroupKey { rule_id: rule.id.clone(), state: AlertState::Resolved, group };
        self.gathering.entry(key).or_insert_with(|| Gathering { since: now, alerts: Vec::new() }).alerts.push(alert);
        Vec::new()
    }

    fn ungather(&mut self, key: &GroupKey, alert_id: &str) {
        if let Some(gathering) = self.gathering.get_mut(key) {
            gathering.alerts.retain(|a| a.id != alert_id);
            if gathering.alerts.is_empty() {
                self.gathering.remove(key);
            }
        }
    }

    /// What is due at `now`: groups whose wait is over, then repeats.
    pub fn tick(&mut self, now: i64) -> Vec<Notification> {
        let mut out = Vec::new();
        let due: Vec<GroupKey> = self
            .gathering
            .iter()
            .filter(|(key, g)| {
                let wait = self.rules.get(&key.rule_id).map_or(0, |r| r.group_wait.as_millis() as i64);
                now - g.since >= wait
            })
            .map(|(key, _)| key.clone())
            .collect();
        for key in due {
            let Some(gathering) = self.gathering.remove(&key) else { continue };
            let Some(rule) = self.rules.get(&key.rule_id).cloned() else { continue };
            if key.state == AlertState::Firing {
                for alert in &gathering.alerts {
                    if let Some(t) = self.tracked.get_mut(&alert.id) {
                        (t.gathering, t.notified_at) = (false, Some(now));
                    }
                }
            }
            out.push(notification(rule, key.state, gathering.alerts, &key.group));
        }
        out.extend(self.repeats(now));
        out
    }

    fn repeats(&mut self, now: i64) -> Vec<Notification> {
        let mut due: HashMap<GroupKey, Vec<Arc<Alert>>> = HashMap::new();
        for tracked in self.tracked.values_mut() {
            let alert = &tracked.alert;
            let Some(rule) = self.rules.get(&alert.rule_id) else { continue };
            let (Some(every), Some(at)) = (rule.repeat_every, tracked.notified_at) else { continue };
            if alert.silenced || alert.acknowledged.is_some() || now - at < every.as_millis() as i64 {
                continue;
            }
            tracked.notified_at = Some(now);
            let key = GroupKey { rule_id: rule.id.clone(), state: AlertState::Firing, group: group_of(rule, alert) };
            due.entry(key).or_default().push(alert.clone());
        }
        due.into_iter()
            .filter_map(|(key, alerts)| {
                let rule = self.rules.get(&key.rule_id)?.clone();
                let mut n = notification(rule, AlertState::Firing, alerts, &key.group);
                n.repeat = true;
                Some(n)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::alerts::engine::Ack;

    const S: i64 = 1000;

    fn rule(group_by: &[&str], repeat: Option<u64>) -> Arc<Rule> {
        let mut rule = crate::alerts::rule::defaults(0).remove(0);
        rule.group_by = group_by.iter().map(|s| s.to_string()).collect();
        rule.repeat_every = repeat.map(Duration::from_secs);
        Arc::new(rule)
    }

    fn alert(machine: &str, rack: &str, state: AlertState) -> Arc<Alert> {
        Arc::new(Alert {
            id: format!("a-{machine}"),
            rule_id: "default-cpu".into(),
            rule_name: "cpu".into(),
            machine_id: machine.into(),
            part: None,
            labels: [("rack".to_owned(), rack.to_owned())].into(),
            severity: crate::alerts::rule::Severity::Warning,
            state,
            value: 99.0,
            threshold: Some(90.0),
            started_at: 0,
            resolved_at: None,
            top_processes: Vec::new(),
            silenced: false,
            acknowledged: None,
        })
    }

    fn machines(n: &Notification) -> Vec<&str> {
        let mut ids: Vec<&str> = n.alerts.iter().map(|a| a.machine_id.as_str()).collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn without_grouping_each_alert_goes_at_once() {
        let (mut d, r) = (Dispatcher::default(), rule(&[], None));
        let sent = d.changed(alert("m1", "r1", AlertState::Firing), r.clone(), 0);
        assert_eq!((sent.len(), sent[0].state), (1, AlertState::Firing));
        assert!(d.tick(60 * S).is_empty(), "no repeat without repeat_every");
        let sent = d.changed(alert("m1", "r1", AlertState::Resolved), r, 61 * S);
        assert_eq!((sent.len(), sent[0].state), (1, AlertState::Resolved));
        assert_eq!(d.following(), 0);
    }

    #[test]
    fn five_machines_of_a_group_firing_within_the_wait_go_as_one() {
        let (mut d, r) = (Dispatcher::default(), rule(&["rack"], None));
        for (i, m) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            assert!(d.changed(alert(m, "r1", AlertState::Firing), r.clone(), i as i64 * S).is_empty(), "gathered");
        }
        assert!(d.changed(alert("x", "r2", AlertState::Firing), r.clone(), 2 * S).is_empty());
        assert!(d.tick(29 * S).is_empty(), "the wait (30 s) is not over");
        let sent = d.tick(30 * S);
        assert_eq!(sent.len(), 1, "rack r1's group");
        assert_eq!(machines(&sent[0]), vec!["a", "b", "c", "d", "e"]);
        assert_eq!(sent[0].group.get("rack").map(String::as_str), Some("r1"));
        let later = d.tick(32 * S);
        assert_eq!((later.len(), machines(&later[0])), (1, vec!["x"]), "rack r2 waits from its own first alert");
        // Resolves are grouped the same way.
        for m in ["a", "b", "c"] {
            assert!(d.changed(alert(m, "r1", AlertState::Resolved), r.clone(), 40 * S).is_empty());
        }
        let resolved = d.tick(70 * S);
        assert_eq!((resolved[0].state, machines(&resolved[0])), (AlertState::Resolved, vec!["a", "b", "c"]));
    }

    #[test]
    fn an_alert_that_resolves_within_the_wait_is_never_sent() {
        let (mut d, r) = (Dispatcher::default(), rule(&["rack"], None));
        d.changed(alert("a", "r1", AlertState::Firing), r.clone(), 0);
        d.changed(alert("b", "r1", AlertState::Firing), r.clone(), S);
        assert!(d.changed(alert("a", "r1", AlertState::Resolved), r.clone(), 2 * S).is_empty());
        let sent = d.tick(30 * S);
        assert_eq!(machines(&sent[0]), vec!["b"]);
        assert!(d.changed(alert("a", "r1", AlertState::Resolved), r, 31 * S).is_empty(), "nothing to close");
    }

    #[test]
    fn a_silenced_alert_is_held_until_the_silence_ends_and_its_resolve_still_goes() {
        let (mut d, r) = (Dispatcher::default(), rule(&[], Some(60)));
        let mut quiet = (*alert("m1", "r1", AlertState::Firing)).clone();
        quiet.silenced = true;
        assert!(d.changed(Arc::new(quiet.clone()), r.clone(), 0).is_empty(), "held back");
        assert!(d.tick(120 * S).is_empty(), "no repeats of what was never sent");
        quiet.silenced = false;
        let sent = d.changed(Arc::new(quiet.clone()), r.clone(), 130 * S);
        assert_eq!(sent.len(), 1, "notified once the silence ends");
        // Silenced again after it was sent: no repeats, but the resolve goes.
        quiet.silenced = true;
        d.changed(Arc::new(quiet.clone()), r.clone(), 140 * S);
        assert!(d.tick(400 * S).is_empty());
        quiet.state = AlertState::Resolved;
        assert_eq!(d.changed(Arc::new(quiet), r, 401 * S).len(), 1);
    }

    #[test]
    fn repeats_happen_until_acknowledged() {
        let (mut d, r) = (Dispatcher::default(), rule(&[], Some(60)));
        d.changed(alert("m1", "r1", AlertState::Firing), r.clone(), 0);
        assert!(d.tick(59 * S).is_empty());
        let again = d.tick(60 * S);
        assert_eq!((again.len(), again[0].repeat), (1, true));
        assert!(d.tick(100 * S).is_empty(), "counted from the last one");
        assert_eq!(d.tick(120 * S).len(), 1);
        let mut acked = (*alert("m1", "r1", AlertState::Firing)).clone();
        acked.acknowledged = Some(Ack { by: "alice".into(), at: 130 * S, comment: String::new() });
        assert!(d.changed(Arc::new(acked), r, 130 * S).is_empty(), "an acknowledgement sends nothing");
        assert!(d.tick(600 * S).is_empty(), "and stops the repeats");
    }

    #[test]
    fn alerts_from_before_a_restart_repeat_and_resolve() {
        let mut d = Dispatcher::default();
        let r = rule(&[], Some(60));
        d.restore(vec![(*alert("m1", "r1", AlertState::Firing)).clone()], &[(*r).clone()], 10 * S);
        assert!(d.tick(69 * S).is_empty());
        assert_eq!(d.tick(70 * S).len(), 1, "repeats counted from the restart");
        assert_eq!(d.changed(alert("m1", "r1", AlertState::Resolved), r, 80 * S).len(), 1);
    }
}
