//! Agent authentication and authorization: `authorization: Bearer <token>`
//! checked against the hub's token rules (`token_rules`, from flags) and
//! the tokens issued over REST (`agent_tokens::book`), each allowing the
//! machine ids that match its glob. Several rules may share a token; it may
//! then report any machine any of its globs matches. With no rule and no
//! token ever issued, every agent is accepted.
//!
//! The token is checked before the stream is read (wrong or missing:
//! `UNAUTHENTICATED`); the machine id after the Hello and before anything is
//! stored (outside the token's globs: `PERMISSION_DENIED`).

use std::sync::Arc;

use glob::Pattern;
use sysmonstm_protocol::token;
use tonic::{metadata::MetadataMap, Status};

use crate::agent_tokens::book::{Refused, TokenBook, TokenWatch};
use crate::labels::Labels;
use crate::token_rules::TokenRule;

/// What an authenticated stream may do: report the machines matching these globs.
pub struct Grant {
    /// None: the hub has no token rules, any machine id is allowed.
    machines: Option<Vec<Pattern>>,
    /// With an issued token: what ends the stream when it is revoked.
    pub revocation: Option<TokenWatch>,
    /// The issued token's labels, given to the machine (over the agent's own).
    pub labels: Labels,
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant").field("machines", &self.machines).field("issued", &self.revocation.is_some()).finish()
    }
}

impl Grant {
    /// Ok when the stream's token may report `machine_id`.
    pub fn permits(&self, machine_id: &str) -> Result<(), Status> {
        let Some(globs) = &self.machines else { return Ok(()) };
        if globs.iter().any(|g| g.matches(machine_id)) {
            return Ok(());
        }
        let allowed: Vec<&str> = globs.iter().map(Pattern::as_str).collect();
        Err(Status::permission_denied(format!(
            "this agent token may report machine ids matching {}, not {machine_id:?}",
            allowed.join(" or ")
        )))
    }
}

/// The hub's token rules and issued tokens.
#[derive(Clone, Default)]
pub struct AgentAuth {
    rules: Vec<TokenRule>,
    /// None on the hub's own agent's port (its one rule is all it takes).
    issued: Option<Arc<TokenBook>>,
}

impl AgentAuth {
    pub fn new(rules: Vec<TokenRule>) -> Self {
        AgentAuth { rules, issued: None }
    }

    /// The rules and the tokens issued over REST.
    pub fn with_issued(rules: Vec<TokenRule>, issued: Arc<TokenBook>) -> Self {
        AgentAuth { rules, issued: Some(issued) }
    }

    /// True when any agent is accepted.
    pub fn is_open(&self) -> bool {
        self.rules.is_empty() && self.issued.as_ref().is_none_or(|b| b.is_empty())
    }

    /// Checks the bearer token at `now_ms`; on success, which machines it may
    /// report. Every rule is compared (in constant time each), whichever
    /// matches; an issued token is found by its hash.
    pub fn check(&self, metadata: &MetadataMap, now_ms: i64) -> Result<Grant, Status> {
        if self.is_open() {
            return Ok(Grant { machines: None, revocation: None, labels: Labels::new() });
        }
        let given = metadata.get("authorization").and_then(|v| v.to_str().ok()).and_then(token::bearer);
        let Some(given) = given else {
            return Err(Status::unauthenticated("missing agent token: send `authorization: Bearer <token>`"));
        };
        let mut machines: Vec<Pattern> =
            self.rules.iter().filter(|r| token::matches(given, &r.token)).map(|r| r.machines.clone()).collect();
        let mut revocation = None;
        let mut labels = Labels::new();
        let mut refused = Refused::Unknown;
        if let Some(book) = &self.issued {
            match book.find(given, now_ms) {
                Ok(found) => {
                    machines.push(found.machines);
                    labels = found.labels;
                    revocation = Some(book.watch(found.id));
                }
                Err(why) => refused = why,
            }
        }
        if machines.is_empty() {
            return Err(Status::unauthenticated(match refused {
                Refused::Unknown => "wrong agent token",
                Refused::Revoked => "this agent token was revoked; ask for a new one",
                Refused::Expired => "this agent token has expired; ask for a new one",
            }));
        }
        Ok(Grant { machines: Some(machines), revocation, labels })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent_tokens::request::NewToken;
    use crate::agent_tokens::AgentToken;
    use crate::token_rules::parse_rule;

    fn with(value: &str) -> MetadataMap {
        let mut map = MetadataMap::new();
        map.insert("authorization", value.parse().expect("ascii"));
        map
    }

    fn auth(rules: &[&str]) -> AgentAuth {
        AgentAuth::new(rules.iter().map(|r| parse_rule(r).expect("rule")).collect())
    }

    impl AgentAuth {
        fn check_now(&self, metadata: &MetadataMap) -> Result<Grant, Status> {
            self.check(metadata, 0)
        }
    }

    fn issued(id: &str, secret: &str, glob: &str) -> AgentToken {
        let new = NewToken {
            machine_glob: glob.into(),
            labels: Labels::new(),
            description: String::new(),
            expires_at: Some(100),
        };
        new.issue(id.into(), secret, 0)
    }

    #[test]
    fn issued_tokens_beside_the_flags_and_why_one_is_refused() {
        let book = TokenBook::new(Vec::new(), 0);
        let open = AgentAuth::with_issued(Vec::new(), book.clone());
        assert!(open.is_open(), "no flag token and none issued: open");
        book.insert(issued("a", "smt_web", "web-*"), 0);
        book.insert(issued("b", "smt_old", "*"), 0);
        assert!(!open.is_open(), "issuing the first token closes the hub");
        let web = open.check(&with("Bearer smt_web"), 1).expect("issued token");
        assert!(web.permits("web-3").is_ok());
        assert_eq!(web.permits("db-1").unwrap_err().code(), tonic::Code::PermissionDenied);
        assert!(web.revocation.is_some(), "a stream on an issued token watches it");
        let expired = open.check(&with("Bearer smt_old"), 100).unwrap_err();
        assert!(expired.message().contains("expired"), "{}", expired.message());
        book.revoke("a", 2);
        let revoked = open.check(&with("Bearer smt_web"), 3).unwrap_err();
        assert_eq!(revoked.code(), tonic::Code::Unauthenticated);
        assert!(revoked.message().contains("revoked"), "{}", revoked.message());
        assert!(!open.is_open(), "revoking the last token keeps the hub closed");
        let both = AgentAuth::with_issued(vec![parse_rule("flagtoken=db-*").expect("rule")], book.clone());
        let flag = both.check(&with("Bearer flagtoken"), 3).expect("flag token");
        assert!(flag.permits("db-1").is_ok() && flag.revocation.is_none());
        assert_eq!(both.check(&MetadataMap::new(), 3).unwrap_err().code(), tonic::Code::Unauthenticated);
    }
    #[test]
    fn no_rule_accepts_all() {
        let grant = AgentAuth::default().check(&MetadataMap::new(), 0).expect("open");
        assert!(grant.permits("anything").is_ok());
    }

    #[test]
    fn token_is_checked() {
        let auth = auth(&["s3cret"]);
        assert!(auth.check_now(&with("Bearer s3cret")).expect("right").permits("any-machine").is_ok());
        assert_eq!(auth.check_now(&with("Bearer nope")).unwrap_err().code(), tonic::Code::Unauthenticated);
        assert_eq!(auth.check_now(&MetadataMap::new()).unwrap_err().code(), tonic::Code::Unauthenticated);
        assert!(auth.check_now(&with("s3cret")).is_err(), "not a bearer header");
    }

    #[test]
    fn a_token_reports_only_machines_matching_its_globs() {
        let auth = auth(&["webtoken=web-*", "dbtoken=db-[0-9]", "webtoken=edge-??"]);
        let web = auth.check_now(&with("Bearer webtoken")).expect("known token");
        assert!(web.permits("web-1").is_ok());
        assert!(web.permits("edge-eu").is_ok(), "a second rule for the same token adds its glob");
        let denied = web.permits("db-1").unwrap_err();
        assert_eq!(denied.code(), tonic::Code::PermissionDenied);
        assert!(denied.message().contains("web-*") && denied.message().contains("db-1"), "{}", denied.message());
        let db = auth.check_now(&with("Bearer dbtoken")).expect("known token");
        assert!(db.permits("db-7").is_ok());
        assert!(db.permits("db-77").is_err());
        assert!(db.permits("web-1").is_err());
    }

    #[test]
    fn exact_rules_escape_glob_characters() {
        let rule = TokenRule::exact("t0123456789abcdef", "host[1]*").expect("rule");
        let auth = AgentAuth::new(vec![rule]);
        let grant = auth.check_now(&with("Bearer t0123456789abcdef")).expect("token");
        assert!(grant.permits("host[1]*").is_ok());
        assert!(grant.permits("host1x").is_err());
    }
}
