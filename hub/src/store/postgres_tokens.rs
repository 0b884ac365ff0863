//! Agent tokens in PostgreSQL (see [`super::token_rows`]); every hub on the
//! database sees the same tokens.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::postgres_chunks::pg;
use super::token_rows::{labels_json, TokenRow, COLUMNS};
use super::StoreError;
use crate::agent_tokens::AgentToken;

/// The columns with the labels as text.
fn select() -> String {
    format!("SELECT {} FROM agent_tokens", COLUMNS.replace("labels", "labels::text"))
}

fn row(r: &Row) -> Result<AgentToken, StoreError> {
    TokenRow {
        id: r.try_get(0).map_err(pg)?,
        hash: r.try_get(1).map_err(pg)?,
        machine_glob: r.try_get(2).map_err(pg)?,
        labels: r.try_get(3).map_err(pg)?,
        description: r.try_get(4).map_err(pg)?,
        created_at: r.try_get(5).map_err(pg)?,
        expires_at: r.try_get(6).map_err(pg)?,
        revoked_at: r.try_get(7).map_err(pg)?,
    }
    .into_token()
}

pub async fn list(client: &impl GenericClient) -> Result<Vec<AgentToken>, StoreError> {
    let rows = client.query(&format!("{} ORDER BY created_at, id", select()), &[]).await.map_err(pg)?;
    rows.iter().map(row).collect()
}

pub async fn insert(client: &impl GenericClient, token: &AgentToken) -> Result<(), StoreError> {
    client
        .execute(
            &format!("INSERT INTO agent_tokens ({COLUMNS}) VALUES ($1, $2, $3, $4::text::jsonb, $5, $6, $7, $8)"),
            &[
                &token.id,
                &token.hash,
                &token.machine_glob,
                &labels_json(&token.labels)?,
                &token.description,
                &token.created_at,
                &token.expires_at,
                &token.revoked_at,
            ],
        )
        .await
        .map_err(pg)?;
    Ok(())
}

/// Marks `id` revoked (the first revocation's time is kept).
pub async fn revoke(client: &impl GenericClient, id: &str, at_ms: i64) -> Result<Option<AgentToken>, StoreError> {
    client
        .execute("UPDATE agent_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1", &[&id, &at_ms])
        .await
        .map_err(pg)?;
    let found = client.query_opt(&format!("{} WHERE id = $1", select()), &[&id]).await.map_err(pg)?;
    found.as_ref().map(row).transpose()
}
