//! Alert events (`alert_events`) in either backend: written by id (a
//! resolve updates the row its fire made), listed newest first.

use std::time::SystemTime;

use deadpool_postgres::GenericClient;
use rusqlite::{params, Connection};
use sysmonstm_protocol::model::ProcessInfo;

use super::postgres_chunks::{pg, to_ms, to_time};
use super::token_rows::{labels_json, labels_of};
use super::{state_name, AlertQuery, StoreError};
use crate::alerts::engine::{Ack, Alert, AlertState};
use crate::alerts::rule::Severity;

/// One `alert_events` row as read.
struct AlertColumns<'a> {
    id: String,
    rule_id: String,
    rule_name: String,
    machine_id: String,
    labels: &'a str,
    severity: &'a str,
    state: &'a str,
    value: Option<f64>,
    threshold: Option<f64>,
    started_at: i64,
    resolved_at: Option<i64>,
    top_processes: &'a str,
    silenced: bool,
    acknowledged: Option<&'a str>,
    part: Option<String>,
}

fn alert_from_columns(c: AlertColumns<'_>) -> Result<Alert, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("alert {}: {what}", c.id));
    let severity = match c.severity {
        "warning" => Severity::Warning,
        "critical" => Severity::Critical,
        other => return Err(corrupt(&format!("severity `{other}`"))),
    };
    let state = match c.state {
        "firing" => AlertState::Firing,
        "resolved" => AlertState::Resolved,
        other => return Err(corrupt(&format!("state `{other}`"))),
    };
    let top_processes: Vec<ProcessInfo> =
        serde_json::from_str(c.top_processes).map_err(|e| corrupt(&format!("top_processes: {e}")))?;
    let acknowledged = c
        .acknowledged
        .map(|text| serde_json::from_str::<Ack>(text).map_err(|e| corrupt(&format!("acknowledged: {e}"))))
        .transpose()?;
    Ok(Alert {
        id: c.id,
        rule_id: c.rule_id,
        rule_name: c.rule_name,
        machine_id: c.machine_id,
        part: c.part,
        labels: labels_of(c.labels),
        severity,
        state,
        value: c.value.unwrap_or(0.0),
        threshold: c.threshold,
        started_at: c.started_at,
        resolved_at: c.resolved_at,
        top_processes,
        silenced: c.silenced,
        acknowledged,
    })
}

fn top_json(alert: &Alert) -> Result<String, StoreError> {
    serde_json::to_string(&alert.top_processes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn ack_json(alert: &Alert) -> Result<Option<String>, StoreError> {
    alert
        .acknowledged
        .as_ref()
        .map(|a| serde_json::to_string(a).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
}

const COLUMNS: &str = "id, rule_id, rule_name, machine_id, labels, severity, state, value, threshold, started_at,
    resolved_at, top_processes, silenced, acknowledged, part";

pub fn sqlite_put(conn: &Connection, alert: &Alert) -> Result<(), StoreError> {
    conn.execute(
        &format!(
            "INSERT INTO alert_events ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, value = excluded.value,
                 resolved_at = excluded.resolved_at, silenced = excluded.silenced,
                 acknowledged = excluded.acknowledged"
        ),
        params![
            alert.id,
            alert.rule_id,
            alert.rule_name,
            alert.machine_id,
            labels_json(&alert.labels)?,
            alert.severity.name(),
            state_name(alert.state),
            alert.value,
            alert.threshold,
            alert.started_at,
            alert.resolved_at,
            top_json(alert)?,
            alert.silenced,
            ack_json(alert)?,
            alert.part
        ],
    )?;
    Ok(())
}

pub fn sqlite_list(conn: &Connection, query: &AlertQuery) -> Result<Vec<Alert>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM alert_events
         WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR machine_id = ?2) AND (?3 IS NULL OR started_at >= ?3)
             AND (?4 IS NULL OR id = ?4)
         ORDER BY started_at DESC, id LIMIT ?5"
    ))?;
    let rows =
        stmt.query_map(params![query.state.map(state_name), query.machine, query.since, query.id, query.limit], |r| {
            Ok((
                (r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?),
                (r.get::<_, String>(4)?, r.get::<_, String>(5)?, r.get::<_, String>(6)?),
                (r.get::<_, Option<f64>>(7)?, r.get::<_, Option<f64>>(8)?),
                (r.get::<_, i64>(9)?, r.get::<_, Option<i64>>(10)?, r.get::<_, String>(11)?),
                (r.get::<_, bool>(12)?, r.get::<_, Option<String>>(13)?, r.get::<_, Option<String>>(14)?),
            ))
        })?;
    rows.map(|row| {
        let (
            (id, rule_id, rule_name, machine_id),
            (labels, severity, state),
            (value, threshold),
            (started_at, resolved_at, top),
            (silenced, acknowledged, part),
        ) = row?;
        alert_from_columns(AlertColumns {
            id,
            rule_id,
            rule_name,
            machine_id,
            labels: &labels,
            severity: &severity,
            state: &state,
            value,
            threshold,
            started_at,
            resolved_at,
            top_processes: &top,
            silenced,
            acknowledged: acknowledged.as_deref(),
            part,
        })
    })
    .collect()
}

pub async fn postgres_put(client: &impl GenericClient, alert: &Alert) -> Result<(), StoreError> {
    client
        .execute(
            &format!(
                "INSERT INTO alert_events ({COLUMNS})
                 VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, $7, $8, $9, $10, $11, $12::text::jsonb, $13,
                     $14::text::jsonb, $15)
                 ON CONFLICT (id) DO UPDATE SET state = excluded.state, value = excluded.value,
                     resolved_at = excluded.resolved_at, silenced = excluded.silenced,
                     acknowledged = excluded.acknowledged"
            ),
            &[
                &alert.id,
                &alert.rule_id,
                &alert.rule_name,
                &alert.machine_id,
                &labels_json(&alert.labels)?,
                &alert.severity.name(),
                &state_name(alert.state),
                &alert.value,
                &alert.threshold,
                &to_time(alert.started_at),
                &alert.resolved_at.map(to_time),
                &top_json(alert)?,
                &alert.silenced,
                &ack_json(alert)?,
                &alert.part,
            ],
        )
        .await
        .map_err(pg)?;
    Ok(())
}

pub async fn postgres_list(client: &impl GenericClient, query: &AlertQuery) -> Result<Vec<Alert>, StoreError> {
    let rows = client
        .query(
            "SELECT id, rule_id, rule_name, machine_id, labels::text, severity, state, value, threshold, started_at,
                    resolved_at, top_processes::text, silenced, acknowledged::text, part
             FROM alert_events
             WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR machine_id = $2)
               AND ($3::timestamptz IS NULL OR started_at >= $3) AND ($4::text IS NULL OR id = $4)
             ORDER BY started_at DESC, id LIMIT $5",
            &[&query.state.map(state_name), &query.machine, &query.since.map(to_time), &query.id, &query.limit],
        )
        .await
        .map_err(pg)?;
    rows.iter()
        .map(|r| {
            alert_from_columns(AlertColumns {
                id: r.try_get(0).map_err(pg)?,
                rule_id: r.try_get(1).map_err(pg)?,
                rule_name: r.try_get(2).map_err(pg)?,
                machine_id: r.try_get(3).map_err(pg)?,
                labels: r.try_get(4).map_err(pg)?,
                severity: r.try_get(5).map_err(pg)?,
                state: r.try_get(6).map_err(pg)?,
                value: r.try_get(7).map_err(pg)?,
                threshold: r.try_get(8).map_err(pg)?,
                started_at: to_ms(r.try_get(9).map_err(pg)?),
                resolved_at: r.try_get::<_, Option<SystemTime>>(10).map_err(pg)?.map(to_ms),
                top_processes: r.try_get(11).map_err(pg)?,
                silenced: r.try_get(12).map_err(pg)?,
                acknowledged: r.try_get(13).map_err(pg)?,
                part: r.try_get(14).map_err(pg)?,
            })
        })
        .collect()
}
