//! The audit log's table (`audit_log`) in either backend: entries appended,
//! listed newest first.

use deadpool_postgres::GenericClient;
use rusqlite::{params, Connection};

use super::postgres_chunks::pg;
use super::StoreError;
use crate::audit::{Action, AuditEntry, AuditQuery};

const COLUMNS: &str = "id, at, actor, address, action, target, detail";

/// An entry from its columns (the action and detail as text).
#[allow(clippy::too_many_arguments)]
fn entry(
    id: i64,
    at: i64,
    actor: String,
    address: Option<String>,
    action: &str,
    target: String,
    detail: &str,
) -> Result<AuditEntry, StoreError> {
    let action = Action::parse(action).ok_or_else(|| StoreError::Corrupt(format!("audit action `{action}`")))?;
    let detail = serde_json::from_str(detail).map_err(|e| StoreError::Corrupt(format!("audit detail: {e}")))?;
    Ok(AuditEntry { id, at, actor, address, action, target, detail })
}

pub fn sqlite_insert(conn: &Connection, e: &AuditEntry) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO audit_log (at, actor, address, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![e.at, e.actor, e.address, e.action.name(), e.target, e.detail.to_string()],
    )?;
    Ok(())
}

pub fn sqlite_list(conn: &Connection, q: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM audit_log
         WHERE (?1 IS NULL OR id < ?1) AND (?2 IS NULL OR action = ?2) AND (?3 IS NULL OR target = ?3)
         ORDER BY id DESC LIMIT ?4"
    ))?;
    let rows = stmt.query_map(params![q.before, q.action.map(Action::name), q.target, q.limit as i64], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?, r.get(5)?, r.get::<_, String>(6)?))
    })?;
    rows.map(|row| {
        let (id, at, actor, address, action, target, detail) = row?;
        entry(id, at, actor, address, &action, target, &detail)
    })
    .collect()
}

pub async fn postgres_insert(client: &impl GenericClient, e: &AuditEntry) -> Result<(), StoreError> {
    client
        .execute(
            "INSERT INTO audit_log (at, actor, address, action, target, detail)
             VALUES ($1, $2, $3, $4, $5, $6::text::jsonb)",
            &[&e.at, &e.actor, &e.address, &e.action.name(), &e.target, &e.detail.to_string()],
        )
        .await
        .map_err(pg)?;
    Ok(())
}

pub async fn postgres_list(client: &impl GenericClient, q: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
    let rows = client
        .query(
            "SELECT id, at, actor, address, action, target, detail::text FROM audit_log
             WHERE ($1::bigint IS NULL OR id < $1) AND ($2::text IS NULL OR action = $2)
                 AND ($3::text IS NULL OR target = $3)
             ORDER BY id DESC LIMIT $4",
            &[&q.before, &q.action.map(Action::name), &q.target, &(q.limit as i64)],
        )
        .await
        .map_err(pg)?;
    rows.iter()
        .map(|r| {
            let action: String = r.try_get(4).map_err(pg)?;
            let detail: String = r.try_get(6).map_err(pg)?;
            entry(
                r.try_get(0).map_err(pg)?,
                r.try_get(1).map_err(pg)?,
                r.try_get(2).map_err(pg)?,
                r.try_get(3).map_err(pg)?,
                &action,
                r.try_get(5).map_err(pg)?,
                &detail,
            )
        })
        .collect()
}
