//! Agent authentication and authorization: `authorization: Bearer <token>`
//! checked against the hub's token rules, each allowing the machine ids that
//! match its glob.
//!
//! A rule is written `TOKEN` (any machine) or `TOKEN=GLOB` (`web-*`,
//! `db-[0-9]`, `edge-??.eu`): on the command line (`--agent-token`,
//! repeatable) or one per line in a file (`--agent-token-file`, `#` starts a
//! comment). Several rules may share a token; it may then report any machine
//! any of its globs matches. With no rule at all every agent is accepted.
//!
//! The token is checked before the stream is read (wrong or missing:
//! `UNAUTHENTICATED`); the machine id after the Hello and before anything is
//! stored (outside the token's globs: `PERMISSION_DENIED`).

use std::fmt;
use std::path::Path;

use glob::Pattern;
use sysmonstm_protocol::token;
use tonic::{metadata::MetadataMap, Status};

/// Tokens shorter than this are accepted with a warning at start-up.
pub const RECOMMENDED_TOKEN_LEN: usize = 16;

/// One token and the machine ids it may report.
#[derive(Clone)]
pub struct TokenRule {
    token: String,
    machines: Pattern,
}

impl TokenRule {
    /// A token allowed to report the machines matching `glob`.
    pub fn new(token: &str, glob: &str) -> Result<TokenRule, String> {
        if token.is_empty() {
            return Err("the token is empty".into());
        }
        if let Some(bad) = token.chars().find(|c| c.is_whitespace() || c.is_control() || !c.is_ascii()) {
            return Err(format!("the token contains {bad:?}; use printable ASCII without spaces"));
        }
        if glob.is_empty() {
            return Err(format!("nothing after '=' (write {}=GLOB, or the token alone for any machine)", mask(token)));
        }
        let machines = Pattern::new(glob).map_err(|e| format!("bad machine glob {glob:?}: {e}"))?;
        Ok(TokenRule { token: token.to_owned(), machines })
    }

    /// A token for exactly one machine id (the hub's own agent).
    pub fn exact(token: &str, machine_id: &str) -> Result<TokenRule, String> {
        TokenRule::new(token, &Pattern::escape(machine_id))
    }

    /// The glob of machine ids this token may report.
    pub fn glob(&self) -> &str {
        self.machines.as_str()
    }

    pub fn is_short(&self) -> bool {
        self.token.len() < RECOMMENDED_TOKEN_LEN
    }
}

/// Never prints the token.
impl fmt::Debug for TokenRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenRule({}={})", mask(&self.token), self.machines)
    }
}

/// The first two characters of a token, for messages that must not print it.
fn mask(token: &str) -> String {
    format!("{}…", token.chars().take(2).collect::<String>())
}

/// Parses `TOKEN` or `TOKEN=GLOB` (split at the first `=`: tokens cannot contain one).
pub fn parse_rule(text: &str) -> Result<TokenRule, String> {
    match text.split_once('=') {
        Some((token, glob)) => TokenRule::new(token, glob),
        None => TokenRule::new(text, "*"),
    }
}

/// Parses a token file: one rule per line; blank lines and `#` comments skipped.
pub fn parse_file(text: &str) -> Result<Vec<TokenRule>, String> {
    let mut rules = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.split_once('#').map_or(line, |(before, _)| before).trim();
        if line.is_empty() {
            continue;
        }
        rules.push(parse_rule(line).map_err(|e| format!("line {}: {e}", number + 1))?);
    }
    if rules.is_empty() {
        return Err("no token in the file (one TOKEN or TOKEN=GLOB per line)".into());
    }
    Ok(rules)
}

/// Reads and parses a token file, naming the file in errors.
pub fn read_file(path: &Path) -> Result<Vec<TokenRule>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_file(&text).map_err(|e| format!("{}: {e}", path.display()))
}

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

    #[test]
    fn bad_rules_say_what_is_wrong() {
        assert!(parse_rule("").unwrap_err().contains("empty"));
        assert!(parse_rule("=web-*").unwrap_err().contains("empty"));
        assert!(parse_rule("tok=").unwrap_err().contains("nothing after '='"));
        assert!(parse_rule("tok=web-[").unwrap_err().contains("bad machine glob"));
        assert!(parse_rule("to k").unwrap_err().contains("' '"));
        assert_eq!(parse_rule("tok").expect("any machine").glob(), "*");
        assert_eq!(parse_rule("tok=a=b").expect("split at the first =").glob(), "a=b");
    }

    #[test]
    fn files_skip_comments_and_name_the_bad_line() {
        let rules = parse_file("# fleet tokens\n\nwebtoken=web-*   # the web tier\n  dbtoken=db-*\n").expect("file");
        assert_eq!(rules.iter().map(TokenRule::glob).collect::<Vec<_>>(), vec!["web-*", "db-*"]);
        assert_eq!(parse_file("ok\nbad=[\n").unwrap_err().split(':').next(), Some("line 2"));
        assert!(parse_file("# nothing\n").unwrap_err().contains("no token"));
    }

    #[test]
    fn debug_never_shows_the_token() {
        let rule = parse_rule("verysecretvalue=web-*").expect("rule");
        let shown = format!("{rule:?}");
        assert!(!shown.contains("verysecretvalue"), "{shown}");
        assert!(shown.contains("web-*"));
    }
}
