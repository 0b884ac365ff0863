//! `POST /api/agent-tokens` bodies: `{"machine_glob": "web-*", "labels":
//! {…}, "description": "…", "expires_at": ms | RFC 3339}` or `"expires_in":
//! "30d"` instead of `expires_at`. Pure: `now_ms` is passed in. Unknown
//! fields are refused, naming the field, so a typo never silently issues a
//! broader token than meant.

use std::time::Duration;

use glob::Pattern;
use serde_json::Value;

use super::{hash, AgentToken};
use crate::field_error::FieldError;
use crate::labels::{self, Labels};
use crate::when::parse_time;

/// Longest machine glob.
pub const MAX_GLOB_LEN: usize = 256;
/// Longest description, in bytes.
pub const MAX_DESCRIPTION: usize = 256;
/// Longest `expires_in` (ten years).
const MAX_LIFETIME: Duration = Duration::from_secs(10 * 366 * 86_400);

const FIELDS: &[&str] = &["machine_glob", "labels", "description", "expires_at", "expires_in"];

/// What a valid request asks for.
#[derive(Debug, PartialEq)]
pub struct NewToken {
    pub machine_glob: String,
    pub labels: Labels,
    pub description: String,
    pub expires_at: Option<i64>,
}

fn string<'a>(body: &'a Value, field: &str) -> Result<Option<&'a str>, FieldError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(FieldError::new(field, "must be a string")),
    }
}

/// Checks a machine glob as a token holds it.
pub fn check_glob(glob: &str) -> Result<(), FieldError> {
    let field = "machine_glob";
    if glob.is_empty() {
        return Err(FieldError::new(field, "is empty; use \"*\" for any machine"));
    }
    if glob.len() > MAX_GLOB_LEN {
        return Err(FieldError::new(field, format!("is {} bytes; at most {MAX_GLOB_LEN}", glob.len())));
    }
    if glob.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(FieldError::new(field, "contains a space or control character"));
    }
    Pattern::new(glob).map_err(|e| FieldError::new(field, format!("is not a glob: {e}")))?;
    Ok(())
}

fn expiry(body: &Value, now_ms: i64) -> Result<Option<i64>, FieldError> {
    let at = match body.get("expires_at") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => {
            Some(n.as_i64().ok_or_else(|| FieldError::new("expires_at", "must be whole ms since the epoch"))?)
        }
        Some(Value::String(text)) => Some(parse_time("expires_at", text)?),
        Some(_) => return Err(FieldError::new("expires_at", "must be ms since the epoch or an RFC 3339 time")),
    };
    let within = match string(body, "expires_in")? {
        None => None,
        Some(text) => {
            let lifetime = humantime::parse_duration(text)
                .map_err(|e| FieldError::new("expires_in", format!("`{text}` is not a duration like 30d: {e}")))?;
            if lifetime.is_zero() || lifetime > MAX_LIFETIME {
                return Err(FieldError::new("expires_in", "must be more than 0 and at most 10 years"));
            }
            Some(now_ms.saturating_add(lifetime.as_millis() as i64))
        }
    };
    match (at, within) {
        (Some(_), Some(_)) => Err(FieldError::new("expires_in", "give expires_at or expires_in, not both")),
        (Some(at), None) if at <= now_ms => Err(FieldError::new("expires_at", "is not in the future")),
        (at, within) => Ok(at.or(within)),
    }
}

/// Reads a request body.
pub fn parse(body: &Value, now_ms: i64) -> Result<NewToken, FieldError> {
    let object = body.as_object().ok_or_else(|| FieldError::new("", "the body must be a JSON object"))?;
    if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(FieldError::new(unknown.as_str(), format!("unknown field; known: {}", FIELDS.join(", "))));
    }
    let machine_glob = string(body, "machine_glob")?
        .ok_or_else(|| FieldError::new("machine_glob", "is required (a machine id, or a glob such as web-*)"))?;
    check_glob(machine_glob)?;
    let labels = match body.get("labels") {
        None | Some(Value::Null) => Labels::new(),
        Some(value) => labels::from_json("labels", value)?,
    };
    let description = string(body, "description")?.unwrap_or("");
    if description.len() > MAX_DESCRIPTION || description.chars().any(char::is_control) {
        return Err(FieldError::new("description", format!("at most {MAX_DESCRIPTION} bytes, one line")));
    }
    Ok(NewToken {
        machine_glob: machine_glob.to_owned(),
        labels,
        description: description.to_owned(),
        expires_at: expiry(body, now_ms)?,
    })
}

impl NewToken {
    /// The record for this request, kept under `id`, for `secret`.
    pub fn issue(self, id: String, secret: &str, now_ms: i64) -> AgentToken {
        AgentToken {
            id,
            hash: hash(secret),
            machine_glob: self.machine_glob,
            labels: self.labels,
            description: self.description,
            created_at: now_ms,
            expires_at: self.expires_at,
            revoked_at: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000_000;

    fn field(body: Value) -> String {
        parse(&body, NOW).expect_err("refused").field
    }

    #[test]
    fn a_full_request() {
        let new = parse(
            &json!({"machine_glob": "web-*", "labels": {"env": "prod"}, "description": "web tier", "expires_in": "1d"}),
            NOW,
        )
        .expect("valid");
        assert_eq!(new.machine_glob, "web-*");
        assert_eq!(new.labels.get("env").map(String::as_str), Some("prod"));
        assert_eq!(new.expires_at, Some(NOW + 86_400_000));
        let token = new.issue("id1".into(), "smt_secret", NOW);
        assert_eq!((token.hash, token.created_at), (hash("smt_secret"), NOW));
        let at = parse(&json!({"machine_glob": "db-1", "expires_at": "2030-01-01T00:00:00Z"}), NOW).expect("valid");
        assert_eq!(at.expires_at, Some(1_893_456_000_000));
        assert_eq!(parse(&json!({"machine_glob": "*"}), NOW).expect("valid").expires_at, None);
    }

    #[test]
    fn every_refusal_names_its_field() {
        assert_eq!(field(json!({})), "machine_glob");
        assert_eq!(field(json!({"machine_glob": ""})), "machine_glob");
        assert_eq!(field(json!({"machine_glob": "web-["})), "machine_glob");
        assert_eq!(field(json!({"machine_glob": "a b"})), "machine_glob");
        assert_eq!(field(json!({"machine_glob": "x".repeat(257)})), "machine_glob");
        assert_eq!(field(json!({"machine_glob": 3})), "machine_glob");
        assert_eq!(field(json!({"machine_glob": "*", "machine-glob": "*"})), "machine-glob");
        assert_eq!(field(json!({"machine_glob": "*", "labels": {"Env": "x"}})), "labels.Env");
        assert_eq!(field(json!({"machine_glob": "*", "description": "x".repeat(257)})), "description");
        assert_eq!(field(json!({"machine_glob": "*", "expires_at": NOW})), "expires_at");
        assert_eq!(field(json!({"machine_glob": "*", "expires_at": "soon"})), "expires_at");
        assert_eq!(field(json!({"machine_glob": "*", "expires_in": "0s"})), "expires_in");
        assert_eq!(field(json!({"machine_glob": "*", "expires_in": "forever"})), "expires_in");
        assert_eq!(field(json!({"machine_glob": "*", "expires_in": "1d", "expires_at": NOW + 1})), "expires_in");
        assert_eq!(field(json!(["machine_glob"])), "");
    }
}
