//! Agent token rules as an operator writes them: `TOKEN` (any machine) or
//! `TOKEN=GLOB` (`web-*`, `db-[0-9]`, `edge-??.eu`), on the command line
//! (`--agent-token`, repeatable) or one per line in a file
//! (`--agent-token-file`, `#` starts a comment). Pure parsing: the gRPC
//! side checks streams against them (`grpc::auth`).

use std::fmt;
use std::path::Path;

use glob::Pattern;

/// Tokens shorter than this are accepted with a warning at start-up.
pub const RECOMMENDED_TOKEN_LEN: usize = 16;

/// One token and the machine ids it may report.
#[derive(Clone)]
pub struct TokenRule {
    pub(crate) token: String,
    pub(crate) machines: Pattern,
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

#[cfg(test)]
mod tests {
    use super::*;
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
