//! PostgreSQL's size: what the store reports ([`usage`]) and freeing
//! space for `--max-disk` ([`free_space`]; the policy is [`super::budget`]).
//!
//! Space is freed by dropping whole partitions, oldest first: PostgreSQL
//! returns a dropped table's files at once, while deleted rows only become
//! reusable after a vacuum. So the smallest step is a partition (a day of
//! chunks, a week of 1-minute rollups, four weeks of 1-hour ones), and a
//! partition is dropped only once its range has ended (today's never is).

use deadpool_postgres::GenericClient;

use super::budget::{self, Freed, StoreUsage, TableUsage};
use super::partition;
use super::postgres_chunks::{pg, to_ms, Partitions};
use super::StoreError;

/// The tables the report names (partitions summed, indexes and TOAST included).
const TABLES: [&str; 9] = [
    "samples_recent",
    "chunks",
    "samples_1m",
    "samples_1h",
    "samples",
    "machines",
    "instances",
    "alert_events",
    "alert_rules",
];

/// Bytes the database takes on disk.
pub async fn used_bytes(client: &impl GenericClient) -> Result<u64, StoreError> {
    let row = client.query_one("SELECT pg_database_size(current_database())", &[]).await.map_err(pg)?;
    Ok(row.get::<_, i64>(0).max(0) as u64)
}

/// Frees space until the database is under `limit` with its headroom
/// (`previous`: bytes used after the last check): the oldest partition of
/// chunks, then of 1-minute rollups, then of 1-hour rollups, of those
/// whose range ended before `now`.
pub async fn free_space(
    client: &impl GenericClient,
    partitions: &Partitions,
    limit: u64,
    previous: Option<u64>,
    now_ms: i64,
) -> Result<Freed, StoreError> {
    let mut freed = Freed::at(used_bytes(client).await?);
    let Some(mark) = budget::mark(freed.before, limit, previous) else { return Ok(freed) };
    'rounds: for _ in 0..budget::MAX_ROUNDS {
        if used_bytes(client).await? <= mark {
            break;
        }
        for table in partition::ALL {
            let parts = partitions.list(client, table).await?;
            let Some(oldest) = parts.first().filter(|p| p.end_ms <= now_ms).map(|p| &p.name) else { continue };
            let rows: i64 = client.query_one(&format!("SELECT count(*) FROM {oldest}"), &[]).await.map_err(pg)?.get(0);
            partitions.drop(client, oldest).await?;
            let rows = rows.max(0) as u64;
            match table.table {
                "chunks" => freed.raw_chunks += rows,
                "samples_1m" => freed.minute_rows += rows,
                _ => freed.hour_rows += rows,
            }
            continue 'rounds;
        }
        break;
    }
    freed.after = used_bytes(client).await?;
    Ok(freed)
}

/// How big the store is and what it holds (`oldest_recent`: the oldest
/// unsealed sample, which the store knows without reading).
pub async fn usage(client: &impl GenericClient, oldest_recent: Option<i64>) -> Result<StoreUsage, StoreError> {
    let mut tables = Vec::new();
    for table in TABLES {
        let row = client
            .query_one(
                "SELECT COALESCE(sum(pg_total_relation_size(relid)), 0)::bigint FROM pg_partition_tree($1::text::regclass)",
                &[&table],
            )
            .await
            .map_err(pg)?;
        tables.push(TableUsage { table: table.to_owned(), bytes: row.get::<_, i64>(0).max(0) as u64 });
    }
    let row = client
        .query_one(
            "SELECT (SELECT COALESCE(sum(samples), 0) FROM chunks)::bigint
                    + (SELECT count(*) FROM samples_recent),
                 (SELECT count(*) FROM samples),
                 (SELECT min(ts_first) FROM (SELECT ts_first FROM chunks ORDER BY ts_last LIMIT 64) o),
                 (SELECT min(ts) FROM samples),
                 (SELECT min(ts) FROM samples_1m),
                 (SELECT min(ts) FROM samples_1h)",
            &[],
        )
        .await
        .map_err(pg)?;
    let time = |i: usize| row.get::<_, Option<std::time::SystemTime>>(i + 1).map(to_ms);
    let version1 = row.get::<_, i64>(1).max(0) as u64;
    Ok(StoreUsage {
        total_bytes: used_bytes(client).await?,
        tables,
        raw_samples: row.get::<_, i64>(0).max(0) as u64 + version1,
        version1_rows: version1,
        oldest_raw_ms: [time(1), time(2), oldest_recent].into_iter().flatten().min(),
        oldest_minute_ms: time(3),
        oldest_hour_ms: time(4),
        ..StoreUsage::default()
    })
}
