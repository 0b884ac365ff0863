//! Agent authentication and authorization: `authorization: Bearer <token>`
//! checked against the hub's token rules (`token_rules`), each allowing the
//! machine ids that match its glob. Several rules may share a token; it may
//! then report any machine any of its globs matches. With no rule at all
//! every agent is accepted.
//!
//! The token is checked before the stream is read (wrong or missing:
//! `UNAUTHENTICATED`); the machine id after the Hello and before anything is
//! stored (outside the token's globs: `PERMISSION_DENIED`).

use glob::Pattern;
use sysmonstm_protocol::token;
use tonic::{metadata::MetadataMap, Status};

use crate::token_rules::TokenRule;

/// What an authenticated stream may do: report the machines matching these globs.
#[derive(Debug)]
pub struct Grant {
    /// None: the hub has no token rules, any machine id is allowed.
    machines: Option<Vec<Pattern>>,
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

/// The hub's token rules.
#[derive(Clone, Debug, Default)]
pub struct AgentAuth {
    rules: Vec<TokenRule>,
}

impl AgentAuth {
    pub fn new(rules: Vec<TokenRule>) -> Self {
        AgentAuth { rules }
    }

    /// True when any agent is accepted.
    pub fn is_open(&self) -> bool {
        self.rules.is_empty()
    }

    /// Checks the bearer token; on success, which machines it may report.
    /// Every rule is compared (in constant time each), whichever matches.
    pub fn check(&self, metadata: &MetadataMap) -> Result<Grant, Status> {
        if self.rules.is_empty() {
            return Ok(Grant { machines: None });
        }
        let given = metadata.get("authorization").and_then(|v| v.to_str().ok()).and_then(token::bearer);
        let Some(given) = given else {
            return Err(Status::unauthenticated("missing agent token: send `authorization: Bearer <token>`"));
        };
        let machines: Vec<Pattern> =
            self.rules.iter().filter(|r| token::matches(given, &r.token)).map(|r| r.machines.clone()).collect();
        if machines.is_empty() {
            return Err(Status::unauthenticated("wrong agent token"));
        }
        Ok(Grant { machines: Some(machines) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token_rules::parse_rule;

    fn with(value: &str) -> MetadataMap {
        let mut map = MetadataMap::new();
        map.insert("authorization", value.parse().expect("ascii"));
        map
    }

    fn auth(rules: &[&str]) -> AgentAuth {
        AgentAuth::new(rules.iter().map(|r| parse_rule(r).expect("rule")).collect())
    }
    #[test]
    fn no_rule_accepts_all() {
        let grant = AgentAuth::default().check(&MetadataMap::new()).expect("open");
        assert!(grant.permits("anything").is_ok());
    }

    #[test]
    fn token_is_checked() {
        let auth = auth(&["s3cret"]);
        assert!(auth.check(&with("Bearer s3cret")).expect("right").permits("any-machine").is_ok());
        assert_eq!(auth.check(&with("Bearer nope")).unwrap_err().code(), tonic::Code::Unauthenticated);
        assert_eq!(auth.check(&MetadataMap::new()).unwrap_err().code(), tonic::Code::Unauthenticated);
        assert!(auth.check(&with("s3cret")).is_err(), "not a bearer header");
    }

    #[test]
    fn a_token_reports_only_machines_matching_its_globs() {
        let auth = auth(&["webtoken=web-*", "dbtoken=db-[0-9]", "webtoken=edge-??"]);
        let web = auth.check(&with("Bearer webtoken")).expect("known token");
        assert!(web.permits("web-1").is_ok());
        assert!(web.permits("edge-eu").is_ok(), "a second rule for the same token adds its glob");
        let denied = web.permits("db-1").unwrap_err();
        assert_eq!(denied.code(), tonic::Code::PermissionDenied);
        assert!(denied.message().contains("web-*") && denied.message().contains("db-1"), "{}", denied.message());
        let db = auth.check(&with("Bearer dbtoken")).expect("known token");
        assert!(db.permits("db-7").is_ok());
        assert!(db.permits("db-77").is_err());
        assert!(db.permits("web-1").is_err());
    }

    #[test]
    fn exact_rules_escape_glob_characters() {
        let rule = TokenRule::exact("t0123456789abcdef", "host[1]*").expect("rule");
        let auth = AgentAuth::new(vec![rule]);
        let grant = auth.check(&with("Bearer t0123456789abcdef")).expect("token");
        assert!(grant.permits("host[1]*").is_ok());
        assert!(grant.permits("host1x").is_err());
    }
}
