//! The `agent_tokens` table on both backends: one column list, one row
//! shape ([`TokenRow`]) and the labels' JSON (also the `machines.labels`
//! column's), so SQLite and PostgreSQL read and write them the same way.

use super::StoreError;
use crate::agent_tokens::AgentToken;
use crate::labels::Labels;

/// The columns, in the order every query names them.
pub const COLUMNS: &str = "id, token_hash, machine_glob, labels, description, created_at, expires_at, revoked_at";

/// A row as read, labels still JSON text.
pub struct TokenRow {
    pub id: String,
    pub hash: String,
    pub machine_glob: String,
    pub labels: String,
    pub description: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl TokenRow {
    pub fn into_token(self) -> Result<AgentToken, StoreError> {
        let labels: Labels = serde_json::from_str(&self.labels)
            .map_err(|e| StoreError::Corrupt(format!("agent token {}: labels: {e}", self.id)))?;
        Ok(AgentToken {
            id: self.id,
            hash: self.hash,
            machine_glob: self.machine_glob,
            labels,
            description: self.description,
            created_at: self.created_at,
            expires_at: self.expires_at,
            revoked_at: self.revoked_at,
        })
    }
}

/// Labels as stored (a token's, a machine's): a JSON object.
pub fn labels_json(labels: &Labels) -> Result<String, StoreError> {
    serde_json::to_string(labels).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Labels read back; a column that does not parse reads as none (labels
/// are shown, never relied on for safety).
pub fn labels_of(json: &str) -> Labels {
    serde_json::from_str(json).unwrap_or_default()
}
