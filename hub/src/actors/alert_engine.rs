//! `AlertEngine`: owns the alert rules and evaluates them live.
//!
//! Subscribes to `MetricsReceived` and `MachineWentOffline`, ticks every
//! [`ALERT_TICK`] for time-based transitions, and publishes [`AlertChanged`]
//! on every fire and resolve. Rule changes arrive as messages, are validated,
//! stored, and take effect on the next sample; each is handled atomically
//! (no other message in between), so versions cannot race. Alert events are
//! written by one background task in order, retried until the store takes them.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use actix_broker::{BrokerIssue, BrokerSubscribe};
use serde_json::Value;
use slog::{info, warn, Logger};
use tokio::sync::mpsc;

use crate::alerts::engine::{Alert, Engine};
use crate::alerts::rule::{self, FieldError, Policy, Rule};
use crate::events::{AlertChanged, MachineRemoved, MachineWentOffline, MetricsReceived};
use crate::stats::Stats;
use crate::store::Store;

/// How often rules are re-evaluated against the clock alone.
pub const ALERT_TICK: Duration = Duration::from_secs(1);
/// Retry delay for alert events the store refused.
const PERSIST_RETRY: Duration = Duration::from_secs(1);

/// Milliseconds since the epoch; injectable so tests can drive time.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Why a rule change was refused.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{0}")]
    Invalid(#[from] FieldError),
    #[error("no rule `{0}`")]
    NotFound(String),
    #[error("rule `{id}` is at version {current}; the request was made against version {sent}")]
    Conflict { id: String, current: u64, sent: u64 },
    #[error("the store failed: {0}")]
    Store(String),
}

pub struct AlertEngine {
    engine: Engine,
    store: Arc<dyn Store>,
    clock: Clock,
    policy: Policy,
    log: Logger,
    persist: mpsc::UnboundedSender<Alert>,
    persist_rx: Option<mpsc::UnboundedReceiver<Alert>>,
    stats: Arc<Stats>,
}

impl AlertEngine {
    pub fn new(
        rules: Vec<Rule>,
        firing: Vec<Alert>,
        store: Arc<dyn Store>,
        clock: Clock,
        policy: Policy,
        stats: Arc<Stats>,
        log: Logger,
    ) -> Self {
        let mut engine = Engine::new(rules);
        engine.restore(firing);
        let (persist, persist_rx) = mpsc::unbounded_channel();
        AlertEngine { engine, store, clock, policy, log, persist, persist_rx: Some(persist_rx), stats }
    }

    /// Stores and publishes alert events; `deleted` is the rule of events
    /// that a deletion caused (no longer in the engine).
    fn emit(&mut self, events: Vec<Alert>, deleted: Option<&Rule>) {
        self.stats.alert_evaluations.store(self.engine.evaluations, std::sync::atomic::Ordering::Relaxed);
        for alert in events {
            info!(self.log, "alert"; "state" => ?alert.state, "rule" => &alert.rule_name,
                "machine_id" => &alert.machine_id, "value" => alert.value);
            let _ = self.persist.send(alert.clone());
            let rule = self.engine.rules().find(|r| r.id == alert.rule_id).or(deleted).cloned().map(Arc::new);
            self.issue_system_async(AlertChanged { alert: Arc::new(alert), rule });
        }
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    fn current(&self, id: &str) -> Result<Rule, RuleError> {
        self.engine.rules().find(|r| r.id == id).cloned().ok_or_else(|| RuleError::NotFound(id.to_owned()))
    }

    /// Validates `input` as the next version of `current` (or a new rule).
    fn build(&self, input: &Value, current: Option<&Rule>, id: String) -> Result<Rule, RuleError> {
        let now = self.now();
        if let (Some(current), Some(sent)) = (current, input.get("version").and_then(Value::as_u64)) {
            if sent != current.version {
                return Err(RuleError::Conflict { id, current: current.version, sent });
            }
        }
        let (version, created_at) = current.map_or((1, now), |c| (c.version + 1, c.created_at));
        Ok(rule::from_input(input, id, version, created_at, now, self.policy)?)
    }

    /// Stores `rule`, then applies it: one atomic step of the actor.
    fn save(&mut self, rule: Rule) -> AtomicResponse<Self, Result<Rule, RuleError>> {
        let store = self.store.clone();
        let stored = rule.clone();
        AtomicResponse::new(Box::pin(
            async move { store.put_rule(&stored).await.map_err(|e| RuleError::Store(e.to_string())) }
                .into_actor(self)
                .map(move |result, act, _| {
                    result?;
                    let now = act.now();
                    let events = act.engine.upsert_rule(rule.clone(), now);
                    act.emit(events, None);
                    Ok(rule)
                }),
        ))
    }
}

impl Actor for AlertEngine {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.subscribe_system_async::<MetricsReceived>(ctx);
        self.subscribe_system_async::<MachineWentOffline>(ctx);
        self.subscribe_system_async::<MachineRemoved>(ctx);
        ctx.run_interval(ALERT_TICK, |act, _| {
            let now = act.now();
            let events = act.engine.tick(now);
            act.emit(events, None);
        });
        if let Some(mut rx) = self.persist_rx.take() {
            let (store, log) = (self.store.clone(), self.log.clone());
            actix::spawn(async move {
                while let Some(alert) = rx.recv().await {
                    while let Err(e) = store.put_alert(&alert).await {
                        warn!(log, "cannot store an alert event; retrying"; "error" => %e, "alert" => &alert.id);
                        tokio::time::sleep(PERSIST_RETRY).await;
                    }
                }
            });
        }
    }
}

impl Handler<MetricsReceived> for AlertEngine {
    type Result = ();

    fn handle(&mut self, msg: MetricsReceived, _: &mut Context<Self>) {
        let now = self.now();
        let update = msg.0;
        let events = self.engine.observe(
            update.machine_id(),
            update.latest.clone(),
            update.host.clone(),
            &update.summary.labels,
            now,
        );
        self.emit(events, None);
    }
}

impl Handler<MachineWentOffline> for AlertEngine {
    type Result = ();

    fn handle(&mut self, msg: MachineWentOffline, _: &mut Context<Self>) {
        let now = self.now();
        let events = self.engine.offline(msg.0.machine_id(), &msg.0.summary.labels, now);
        self.emit(events, None);
    }
}

impl Handler<MachineRemoved> for AlertEngine {
    type Result = ();

    fn handle(&mut self, msg: MachineRemoved, _: &mut Context<Self>) {
        let now = self.now();
        let events = self.engine.forget_machine(&msg.machine_id, now);
        self.emit(events, None);
    }
}

/// Every rule, oldest first.
#[derive(Message)]
#[rtype(result = "Vec<Rule>")]
pub struct ListRules;

impl Handler<ListRules> for AlertEngine {
    type Result = MessageResult<ListRules>;

    fn handle(&mut self, _: ListRules, _: &mut Context<Self>) -> Self::Result {
        let mut rules: Vec<Rule> = self.engine.rules().cloned().collect();
        rules.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
        MessageResult(rules)
    }
}

/// One rule.
#[derive(Message)]
#[rtype(result = "Result<Rule, RuleError>")]
pub struct GetRule(pub String);

impl Handler<GetRule> for AlertEngine {
    type Result = Result<Rule, RuleError>;

    fn handle(&mut self, msg: GetRule, _: &mut Context<Self>) -> Self::Result {
        self.current(&msg.0)
    }
}

/// POST: a new rule from JSON.
#[derive(Message)]
#[rtype(result = "Result<Rule, RuleError>")]
pub struct CreateRule(pub Value);

impl Handler<CreateRule> for AlertEngine {
    type Result = AtomicResponse<Self, Result<Rule, RuleError>>;

    fn handle(&mut self, msg: CreateRule, _: &mut Context<Self>) -> Self::Result {
        let id = format!("{:016x}", rand::random::<u64>());
        match self.build(&msg.0, None, id) {
            Ok(rule) => self.save(rule),
            Err(e) => AtomicResponse::new(Box::pin(actix::fut::ready(Err(e)))),
        }
    }
}

/// PUT (replace) or PATCH (merge) a rule.
#[derive(Message)]
#[rtype(result = "Result<Rule, RuleError>")]
pub struct UpdateRule {
    pub id: String,
    pub body: Value,
    /// Merge `body` into the current rule (PATCH) instead of replacing it.
    pub merge: bool,
}

/// JSON merge patch (RFC 7396) of `patch` onto `target`.
fn merge_patch(target: &mut Value, patch: &Value) {
    let (Value::Object(target), Value::Object(patch)) = (target, patch) else { return };
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            target.insert(key.clone(), value.clone());
        }
    }
}

impl Handler<UpdateRule> for AlertEngine {
    type Result = AtomicResponse<Self, Result<Rule, RuleError>>;

    fn handle(&mut self, msg: UpdateRule, _: &mut Context<Self>) -> Self::Result {
        let built = self.current(&msg.id).and_then(|current| {
            let input = if msg.merge && msg.body.is_object() {
                let mut merged = serde_json::to_value(&current).unwrap_or_default();
                merge_patch(&mut merged, &msg.body);
                // The version the client sent is the one to check, not the current one.
                if let (Value::Object(m), None) = (&mut merged, msg.body.get("version")) {
                    m.remove("version");
                }
                merged
            } else {
                msg.body.clone()
            };
            self.build(&input, Some(&current), msg.id.clone())
        });
        match built {
            Ok(rule) => self.save(rule),
            Err(e) => AtomicResponse::new(Box::pin(actix::fut::ready(Err(e)))),
        }
    }
}

/// DELETE a rule (its alerts resolve).
#[derive(Message)]
#[rtype(result = "Result<(), RuleError>")]
pub struct DeleteRule(pub String);

impl Handler<DeleteRule> for AlertEngine {
    type Result = AtomicResponse<Self, Result<(), RuleError>>;

    fn handle(&mut self, msg: DeleteRule, _: &mut Context<Self>) -> Self::Result {
        let rule = match self.current(&msg.0) {
            Ok(rule) => rule,
            Err(e) => return AtomicResponse::new(Box::pin(actix::fut::ready(Err(e)))),
        };
        let store = self.store.clone();
        let id = msg.0;
        AtomicResponse::new(Box::pin(
            {
                let id = id.clone();
                async move { store.delete_rule(&id).await.map_err(|e| RuleError::Store(e.to_string())) }
            }
            .into_actor(self)
            .map(move |result, act, _| {
                result?;
                let now = act.now();
                let events = act.engine.remove_rule(&id, now);
                act.emit(events, Some(&rule));
                Ok(())
            }),
        ))
    }
}

/// Alerts firing now.
#[derive(Message)]
#[rtype(result = "Vec<Alert>")]
pub struct FiringAlerts;

impl Handler<FiringAlerts> for AlertEngine {
    type Result = MessageResult<FiringAlerts>;

    fn handle(&mut self, _: FiringAlerts, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.engine.firing())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn merge_patch_replaces_and_removes() {
        let mut target = json!({"a": 1, "b": 2, "c": {"x": 1}});
        super::merge_patch(&mut target, &json!({"a": 5, "b": null, "d": true}));
        assert_eq!(target, json!({"a": 5, "c": {"x": 1}, "d": true}));
    }
}
