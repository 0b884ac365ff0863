//! Agent tokens the hub issues (`/api/agent-tokens`), beside the ones given
//! with `--agent-token`: each lets agents report the machine ids matching
//! its glob, may expire, and can be revoked. The secret is shown once, at
//! creation, and kept only as its SHA-256: a leaked database lets no one
//! connect. Secrets are 128 random bits, so a plain hash is enough (no key
//! stretching needed for what cannot be guessed).
//!
//! - [`AgentToken`]: the record as stored and listed (never the secret).
//! - [`request`]: what `POST /api/agent-tokens` accepts (pure).
//! - [`book`]: the tokens a hub checks streams against, and the watch that
//!   ends a stream whose token was revoked or ran out.

pub mod book;
pub mod request;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::labels::Labels;

/// What every issued secret starts with (tells it from a flag token in logs
/// and secret scanners).
pub const SECRET_PREFIX: &str = "smt_";

/// One issued token.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AgentToken {
    pub id: String,
    /// SHA-256 of the secret, hex; never shown.
    #[serde(skip)]
    pub hash: String,
    /// Machine ids this token may report.
    pub machine_glob: String,
    /// Labels given to machines that connect with it.
    pub labels: Labels,
    pub description: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// Where a token stands at some moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    Active,
    Expired,
    Revoked,
}

impl AgentToken {
    pub fn state(&self, now_ms: i64) -> TokenState {
        if self.revoked_at.is_some() {
            TokenState::Revoked
        } else if self.expires_at.is_some_and(|at| at <= now_ms) {
            TokenState::Expired
        } else {
            TokenState::Active
        }
    }
}

/// A token as `GET /api/agent-tokens` shows it: the record and its state.
#[derive(Serialize)]
pub struct TokenView<'a> {
    #[serde(flatten)]
    pub token: &'a AgentToken,
    pub state: TokenState,
}

/// The hex SHA-256 a secret is kept as.
pub fn hash(secret: &str) -> String {
    crate::hex::encode(&Sha256::digest(secret.as_bytes()))
}

/// A new token id and secret (random).
pub fn new_secret() -> (String, String) {
    let id = format!("{:016x}", rand::random::<u64>());
    let secret = format!("{SECRET_PREFIX}{:032x}", rand::random::<u128>());
    (id, secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(expires_at: Option<i64>, revoked_at: Option<i64>) -> AgentToken {
        AgentToken {
            id: "t".into(),
            hash: hash("s"),
            machine_glob: "*".into(),
            labels: Labels::new(),
            description: String::new(),
            created_at: 0,
            expires_at,
            revoked_at,
        }
    }

    #[test]
    fn state_at_a_moment() {
        assert_eq!(token(None, None).state(i64::MAX), TokenState::Active);
        assert_eq!(token(Some(1000), None).state(999), TokenState::Active);
        assert_eq!(token(Some(1000), None).state(1000), TokenState::Expired);
        assert_eq!(token(Some(1000), Some(5)).state(0), TokenState::Revoked);
    }

    #[test]
    fn secrets_are_random_and_kept_only_hashed() {
        let (id, secret) = new_secret();
        let (other_id, other) = new_secret();
        assert!(secret.starts_with(SECRET_PREFIX) && secret.len() == SECRET_PREFIX.len() + 32);
        assert_ne!((id, &secret), (other_id, &other));
        assert_eq!(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        let shown =
            serde_json::to_string(&TokenView { token: &token(None, None), state: TokenState::Active }).expect("json");
        assert!(!shown.contains(&hash("s")) && shown.contains("\"state\":\"active\""), "{shown}");
    }
}
