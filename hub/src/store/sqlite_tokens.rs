//! Agent tokens in SQLite (see [`super::token_rows`]).

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::token_rows::{labels_json, TokenRow, COLUMNS};
use super::StoreError;
use crate::agent_tokens::AgentToken;

fn row(r: &Row<'_>) -> rusqlite::Result<TokenRow> {
    Ok(TokenRow {
        id: r.get(0)?,
        hash: r.get(1)?,
        machine_glob: r.get(2)?,
        labels: r.get(3)?,
        description: r.get(4)?,
        created_at: r.get(5)?,
        expires_at: r.get(6)?,
        revoked_at: r.get(7)?,
    })
}

pub fn list(conn: &Connection) -> Result<Vec<AgentToken>, StoreError> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM agent_tokens ORDER BY created_at, id"))?;
    let rows = stmt.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(TokenRow::into_token).collect()
}

pub fn insert(conn: &Connection, token: &AgentToken) -> Result<(), StoreError> {
    conn.execute(
        &format!("INSERT INTO agent_tokens ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
        params![
            token.id,
            token.hash,
            token.machine_glob,
            labels_json(&token.labels)?,
            token.description,
            token.created_at,
            token.expires_at,
            token.revoked_at
        ],
    )?;
    Ok(())
}

/// Marks `id` revoked (the first revocation's time is kept).
pub fn revoke(conn: &Connection, id: &str, at_ms: i64) -> Result<Option<AgentToken>, StoreError> {
    conn.execute("UPDATE agent_tokens SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1", params![id, at_ms])?;
    let found = conn.query_row(&format!("SELECT {COLUMNS} FROM agent_tokens WHERE id = ?1"), [id], row).optional()?;
    found.map(TokenRow::into_token).transpose()
}
