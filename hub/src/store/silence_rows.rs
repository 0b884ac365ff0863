//! Silences and maintenance windows (`silences`, each kept whole as JSON)
//! in either backend. Expiring one rewrites it with its `expired_at`.

use deadpool_postgres::GenericClient;
use rusqlite::{params, Connection};

use super::postgres_chunks::pg;
use super::StoreError;
use crate::alerts::silence::Silence;

fn silence_of(json: &str) -> Result<Silence, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("silence: {e}")))
}

fn json_of(silence: &Silence) -> Result<String, StoreError> {
    serde_json::to_string(silence).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn sqlite_list(conn: &mut Connection) -> Result<Vec<Silence>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT silence FROM silences ORDER BY created_at, id")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    rows.map(|json| silence_of(&json?)).collect()
}

pub fn sqlite_put(conn: &Connection, silence: &Silence) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO silences (id, created_at, silence) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET silence = excluded.silence",
        params![silence.id, silence.created_at, json_of(silence)?],
    )?;
    Ok(())
}

pub async fn postgres_list(client: &impl GenericClient) -> Result<Vec<Silence>, StoreError> {
    let rows = client.query("SELECT silence::text FROM silences ORDER BY created_at, id", &[]).await.map_err(pg)?;
    rows.iter().map(|r| silence_of(r.try_get(0).map_err(pg)?)).collect()
}

pub async fn postgres_put(client: &impl GenericClient, silence: &Silence) -> Result<(), StoreError> {
    client
        .execute(
            "INSERT INTO silences (id, created_at, silence) VALUES ($1, $2, $3::text::jsonb)
             ON CONFLICT (id) DO UPDATE SET silence = excluded.silence",
            &[&silence.id, &silence.created_at, &json_of(silence)?],
        )
        .await
        .map_err(pg)?;
    Ok(())
}
