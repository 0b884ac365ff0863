//! Rule messages of the alert engine: list, get, create, replace or
//! merge (RFC 7396), delete. Each change is validated (a rule may name only
//! channels that exist), stored, then applied, as one atomic step.

use std::sync::Arc;

use actix::prelude::*;
use actix_broker::BrokerIssue;
use serde_json::Value;

use super::AlertEngine;
use crate::alerts::rule::{self, FieldError, Rule};
use crate::events::RuleChanged;

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

impl AlertEngine {
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
        let rule = rule::from_input(input, id, version, created_at, now, self.policy)?;
        if let Some(missing) = rule.channels.iter().find(|c| !self.channels.contains_key(*c)) {
            let known: Vec<&str> = self.channels.keys().map(String::as_str).collect();
            let known = if known.is_empty() { "none yet".to_owned() } else { known.join(", ") };
            return Err(FieldError::new("channels", format!("no channel `{missing}` (channels: {known})")).into());
        }
        Ok(rule)
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
                    act.issue_system_async(RuleChanged(Arc::new(rule.clone())));
                    Ok(rule)
                }),
        ))
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

/// What a PUT (`merge` false: the body) or PATCH (the body merged onto
/// `current`) asks for; the version checked is the one the client sent.
pub(super) fn changed(current: Value, body: &Value, merge: bool) -> Value {
    if !merge || !body.is_object() {
        return body.clone();
    }
    let mut merged = current;
    merge_patch(&mut merged, body);
    if let (Value::Object(m), None) = (&mut merged, body.get("version")) {
        m.remove("version");
    }
    merged
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
            let input = changed(serde_json::to_value(&current).unwrap_or_default(), &msg.body, msg.merge);
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
