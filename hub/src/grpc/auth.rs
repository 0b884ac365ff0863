//! Agent authentication: `authorization: Bearer <token>` when the hub has one.

use tonic::{metadata::MetadataMap, Status};

/// Checks the bearer token of a request against the expected one (if any).
#[derive(Clone, Debug)]
pub struct AgentAuth {
    expected: Option<String>,
}

impl AgentAuth {
    pub fn new(token: Option<String>) -> Self {
        AgentAuth { expected: token.filter(|t| !t.is_empty()) }
    }

    pub fn check(&self, metadata: &MetadataMap) -> Result<(), Status> {
        let Some(expected) = &self.expected else {
            return Ok(());
        };
        let given = metadata.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        match given {
            None => Err(Status::unauthenticated("missing agent token: send `authorization: Bearer <token>`")),
            Some(token) if sysmonstm_protocol::token::matches(token, expected) => Ok(()),
            Some(_) => Err(Status::unauthenticated("wrong agent token")),
        }
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

    #[test]
    fn no_token_accepts_all() {
        assert!(AgentAuth::new(None).check(&MetadataMap::new()).is_ok());
    }

    #[test]
    fn token_is_checked() {
        let auth = AgentAuth::new(Some("s3cret".into()));
        assert!(auth.check(&with("Bearer s3cret")).is_ok());
        assert_eq!(auth.check(&with("Bearer nope")).unwrap_err().code(), tonic::Code::Unauthenticated);
        assert_eq!(auth.check(&MetadataMap::new()).unwrap_err().code(), tonic::Code::Unauthenticated);
        assert!(auth.check(&with("s3cret")).is_err());
    }
}
