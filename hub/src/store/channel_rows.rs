//! Notification channels (`channels`, each kept whole as JSON, secrets
//! included) and the delivery log (`alert_deliveries`) in either backend.

use deadpool_postgres::GenericClient;
use rusqlite::{params, Connection};

use super::postgres_chunks::pg;
use super::{state_name, StoreError};
use crate::alerts::channel::{Channel, Kind};
use crate::alerts::delivery::Delivery;
use crate::alerts::engine::AlertState;

fn channel_of(json: &str) -> Result<Channel, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("channel: {e}")))
}

fn json_of(channel: &Channel) -> Result<String, StoreError> {
    serde_json::to_string(channel).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn sqlite_list(conn: &mut Connection) -> Result<Vec<Channel>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT channel FROM channels ORDER BY created_at, id")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    rows.map(|json| channel_of(&json?)).collect()
}

pub fn sqlite_put(conn: &Connection, channel: &Channel) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO channels (id, name, kind, created_at, channel) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, channel = excluded.channel",
        params![channel.id, channel.name, channel.kind().name(), channel.created_at, json_of(channel)?],
    )?;
    Ok(())
}

pub fn sqlite_delete(conn: &Connection, id: &str) -> Result<(), StoreError> {
    conn.execute("DELETE FROM channels WHERE id = ?1", [id])?;
    Ok(())
}

pub fn sqlite_put_delivery(conn: &Connection, d: &Delivery) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO alert_deliveries (alert_id, channel_id, channel_name, kind, state, attempt, at, ok, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            d.alert_id,
            d.channel_id,
            d.channel_name,
            d.kind.name(),
            state_name(d.state),
            d.attempt,
            d.at,
            d.ok,
            d.error
        ],
    )?;
    Ok(())
}

const DELIVERY_COLUMNS: &str = "alert_id, channel_id, channel_name, kind, state, attempt, at, ok, error";

/// A delivery from its columns (kind and state as text).
#[allow(clippy::too_many_arguments)]
fn delivery(
    alert_id: String,
    channel_id: String,
    channel_name: String,
    kind: &str,
    state: &str,
    attempt: i64,
    at: i64,
    ok: bool,
    error: Option<String>,
) -> Result<Delivery, StoreError> {
    let kind = Kind::parse(kind).ok_or_else(|| StoreError::Corrupt(format!("delivery kind `{kind}`")))?;
    let state = match state {
        "firing" => AlertState::Firing,
        "resolved" => AlertState::Resolved,
        other => return Err(StoreError::Corrupt(format!("delivery state `{other}`"))),
    };
    let attempt = u32::try_from(attempt).unwrap_or(u32::MAX);
    Ok(Delivery { alert_id, channel_id, channel_name, kind, state, attempt, at, ok, error })
}

pub fn sqlite_deliveries(conn: &mut Connection, alert_id: &str) -> Result<Vec<Delivery>, StoreError> {
    let mut stmt = conn
        .prepare_cached(&format!("SELECT {DELIVERY_COLUMNS} FROM alert_deliveries WHERE alert_id = ?1 ORDER BY id"))?;
    let rows = stmt.query_map([alert_id], |r| {
        Ok((
            (r.get(0)?, r.get(1)?, r.get(2)?),
            (r.get::<_, String>(3)?, r.get::<_, String>(4)?),
            (r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?),
        ))
    })?;
    rows.map(|row| {
        let ((alert_id, channel_id, channel_name), (kind, state), (attempt, at, ok, error)) = row?;
        delivery(alert_id, channel_id, channel_name, &kind, &state, attempt, at, ok, error)
    })
    .collect()
}

pub async fn postgres_list(client: &impl GenericClient) -> Result<Vec<Channel>, StoreError> {
    let rows = client.query("SELECT channel::text FROM channels ORDER BY created_at, id", &[]).await.map_err(pg)?;
    rows.iter().map(|r| channel_of(r.try_get(0).map_err(pg)?)).collect()
}

pub async fn postgres_put(client: &impl GenericClient, channel: &Channel) -> Result<(), StoreError> {
    client
        .execute(
            "INSERT INTO channels (id, name, kind, created_at, channel) VALUES ($1, $2, $3, $4, $5::text::jsonb)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, channel = excluded.channel",
            &[&channel.id, &channel.name, &channel.kind().name(), &channel.created_at, &json_of(channel)?],
        )
        .await
        .map_err(pg)?;
    Ok(())
}

pub async fn postgres_delete(client: &impl GenericClient, id: &str) -> Result<(), StoreError> {
    client.execute("DELETE FROM channels WHERE id = $1", &[&id]).await.map_err(pg)?;
    Ok(())
}

pub async fn postgres_put_delivery(client: &impl GenericClient, d: &Delivery) -> Result<(), StoreError> {
    client
        .execute(
            "INSERT INTO alert_deliveries (alert_id, channel_id, channel_name, kind, state, attempt, at, ok, error)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &d.alert_id,
                &d.channel_id,
                &d.channel_name,
                &d.kind.name(),
                &state_name(d.state),
                &(d.attempt as i32),
                &d.at,
                &d.ok,
                &d.error,
            ],
        )
        .await
        .map_err(pg)?;
    Ok(())
}

pub async fn postgres_deliveries(client: &impl GenericClient, alert_id: &str) -> Result<Vec<Delivery>, StoreError> {
    let rows = client
        .query(
            &format!("SELECT {DELIVERY_COLUMNS} FROM alert_deliveries WHERE alert_id = $1 ORDER BY id"),
            &[&alert_id],
        )
        .await
        .map_err(pg)?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get(3).map_err(pg)?;
            let state: String = r.try_get(4).map_err(pg)?;
            delivery(
                r.try_get(0).map_err(pg)?,
                r.try_get(1).map_err(pg)?,
                r.try_get(2).map_err(pg)?,
                &kind,
                &state,
                i64::from(r.try_get::<_, i32>(5).map_err(pg)?),
                r.try_get(6).map_err(pg)?,
                r.try_get(7).map_err(pg)?,
                r.try_get(8).map_err(pg)?,
            )
        })
        .collect()
}
