//! The audit log: every change made with the admin token (rules, agent
//! tokens, machines and their labels), who made it, when and from where.
//! Pure: the entry, the query `GET /api/audit` takes, and who an admin
//! token is (a fingerprint: the log never holds the token).

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::field_error::FieldError;

/// Entries one query answers by default, and at most.
pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 1000;

/// What was changed (named as [`Action::name`] says, in JSON too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    RuleCreate,
    RuleUpdate,
    RuleDelete,
    TokenIssue,
    TokenRevoke,
    MachineUpdate,
    MachineRemove,
    ChannelCreate,
    ChannelUpdate,
    ChannelDelete,
    ChannelTest,
    SilenceCreate,
    SilenceExpire,
    AlertAck,
}

impl Action {
    pub const ALL: [Action; 14] = [
        Action::RuleCreate,
        Action::RuleUpdate,
        Action::RuleDelete,
        Action::TokenIssue,
        Action::TokenRevoke,
        Action::MachineUpdate,
        Action::MachineRemove,
        Action::ChannelCreate,
        Action::ChannelUpdate,
        Action::ChannelDelete,
        Action::ChannelTest,
        Action::SilenceCreate,
        Action::SilenceExpire,
        Action::AlertAck,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::RuleCreate => "rule.create",
            Action::RuleUpdate => "rule.update",
            Action::RuleDelete => "rule.delete",
            Action::TokenIssue => "agent_token.issue",
            Action::TokenRevoke => "agent_token.revoke",
            Action::MachineUpdate => "machine.update",
            Action::MachineRemove => "machine.remove",
            Action::ChannelCreate => "channel.create",
            Action::ChannelUpdate => "channel.update",
            Action::ChannelDelete => "channel.delete",
            Action::ChannelTest => "channel.test",
            Action::SilenceCreate => "silence.create",
            Action::SilenceExpire => "silence.expire",
            Action::AlertAck => "alert.ack",
        }
    }

    pub fn parse(text: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == text)
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Who made a change and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `admin:` and the first 8 hex digits of the admin token's SHA-256.
    pub id: String,
    /// The client's address, when known.
    pub address: Option<String>,
}

impl Actor {
    pub fn admin(token: &str, address: Option<String>) -> Actor {
        Actor { id: format!("admin:{}", &crate::agent_tokens::hash(token)[..8]), address }
    }
}

/// One change, as stored and listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// Increasing (0 until stored).
    pub id: i64,
    /// When, ms since the epoch.
    pub at: i64,
    pub actor: String,
    pub address: Option<String>,
    pub action: Action,
    /// What it was done to: a rule, token or machine id.
    pub target: String,
    /// The change itself: the body sent, or what was made (never a secret).
    pub detail: Value,
}

impl AuditEntry {
    pub fn new(actor: &Actor, action: Action, target: &str, detail: Value, at: i64) -> AuditEntry {
        AuditEntry {
            id: 0,
            at,
            actor: actor.id.clone(),
            address: actor.address.clone(),
            action,
            target: target.to_owned(),
            detail,
        }
    }
}

/// Which entries to list: newest first, older than `before` (an id) when
/// paging, of one action or target.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditQuery {
    pub limit: usize,
    pub before: Option<i64>,
    pub action: Option<Action>,
    pub target: Option<String>,
}

impl AuditQuery {
    /// From the query string's parameters; the error names the parameter.
    pub fn parse(
        limit: Option<&str>,
        before: Option<&str>,
        action: Option<&str>,
        target: Option<&str>,
    ) -> Result<AuditQuery, FieldError> {
        let limit =
            match limit {
                None => DEFAULT_LIMIT,
                Some(text) => text.parse::<usize>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                    FieldError::new("limit", format!("`{text}`: a whole number from 1 to {MAX_LIMIT}"))
                })?,
            };
        let before = before
            .map(|text| {
                text.parse::<i64>().map_err(|_| FieldError::new("before", format!("`{text}` is not an entry id")))
            })
            .transpose()?;
        let action = action
            .map(|text| {
                Action::parse(text).ok_or_else(|| {
                    let known: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                    FieldError::new("action", format!("`{text}` is not one of {}", known.join(", ")))
                })
            })
            .transpose()?;
        Ok(AuditQuery { limit, before, action, target: target.map(str::to_owned) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_round_trip_and_match_serde() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.name()), Some(action));
            assert_eq!(serde_json::to_value(action).expect("encodes"), action.name());
        }
        assert_eq!(Action::parse("rule.explode"), None);
    }

    #[test]
    fn queries_name_the_bad_parameter() {
        let q = AuditQuery::parse(None, None, None, None).expect("defaults");
        assert_eq!((q.limit, q.before, q.action), (DEFAULT_LIMIT, None, None));
        let q = AuditQuery::parse(Some("5"), Some("40"), Some("machine.remove"), Some("web-1")).expect("valid");
        assert_eq!(
            (q.limit, q.before, q.action, q.target.as_deref()),
            (5, Some(40), Some(Action::MachineRemove), Some("web-1"))
        );
        assert_eq!(AuditQuery::parse(Some("0"), None, None, None).unwrap_err().field, "limit");
        assert_eq!(AuditQuery::parse(Some("5000"), None, None, None).unwrap_err().field, "limit");
        assert_eq!(AuditQuery::parse(None, Some("x"), None, None).unwrap_err().field, "before");
        assert_eq!(AuditQuery::parse(None, None, Some("nope"), None).unwrap_err().field, "action");
    }

    #[test]
    fn an_admin_is_known_by_a_fingerprint_not_the_token() {
        let actor = Actor::admin("secret-admin-token", Some("127.0.0.1".into()));
        assert!(actor.id.starts_with("admin:") && actor.id.len() == 14, "{}", actor.id);
        assert!(!actor.id.contains("secret"));
        assert_ne!(actor.id, Actor::admin("another-token", None).id);
    }
}
