//! SQLite's size: what the store reports ([`usage`]) and freeing space
//! for `--max-disk` ([`free_space`]; the policy is [`super::budget`]).
//!
//! Used bytes are the database's pages in use plus its WAL: pages freed by
//! a delete are reused before the file grows, and, in a database made with
//! incremental auto-vacuum (every new one), returned to the file system
//! when space is freed for the limit.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use super::budget::{self, Freed, StoreUsage, TableUsage};
use super::StoreError;

/// Roughly what a row of each table takes, for how many to delete at once.
const LEGACY_ROW_BYTES: u64 = 2_000;
const ROLLUP_ROW_BYTES: u64 = 300;
/// Fewest and most rows deleted in one round.
const MIN_ROWS: u64 = 1_000;
const MAX_ROWS: u64 = 200_000;
/// Oldest chunks looked at in one round.
const CHUNKS_PER_ROUND: i64 = 10_000;

fn wal_bytes(path: &Path) -> u64 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

fn pragma(conn: &Connection, name: &str) -> Result<u64, StoreError> {
    Ok(conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, i64>(0))?.max(0) as u64)
}

/// Bytes in use: pages holding data, and the WAL.
pub fn used_bytes(conn: &Connection, path: &Path) -> Result<u64, StoreError> {
    let pages = pragma(conn, "page_count")?.saturating_sub(pragma(conn, "freelist_count")?);
    Ok(pages * pragma(conn, "page_size")? + wal_bytes(path))
}

/// Deletes the `rows` oldest rows of `table` (by `ts`); returns how many went.
fn delete_oldest(conn: &Connection, table: &str, rows: u64) -> Result<u64, StoreError> {
    let sql = format!("DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} ORDER BY ts LIMIT ?1)");
    Ok(conn.execute(&sql, [rows as i64])? as u64)
}

/// Deletes the oldest chunks (by newest sample) holding about `need` bytes.
fn delete_oldest_chunks(conn: &mut Connection, need: u64) -> Result<u64, StoreError> {
    let oldest: Vec<(i64, i64)> = {
        let mut stmt = conn.prepare_cached("SELECT id, length(body) FROM chunks ORDER BY ts_last LIMIT ?1")?;
        let rows = stmt.query_map([CHUNKS_PER_ROUND], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut chosen = Vec::new();
    let mut bytes = 0;
    for (id, length) in oldest {
        chosen.push(id);
        bytes += length.max(0) as u64;
        if bytes >= need {
            break;
        }
    }
    let tx = conn.transaction()?;
    {
        let mut delete = tx.prepare_cached("DELETE FROM chunks WHERE id = ?1")?;
        for id in &chosen {
            delete.execute([id])?;
        }
    }
    tx.commit()?;
    Ok(chosen.len() as u64)
}

/// Frees space until the store is under `limit` with its headroom
/// (`previous`: bytes used after the last check, for how fast it grows):
/// the oldest raw samples (version-1 rows, then chunks), then the oldest
/// 1-minute rollups, then the oldest 1-hour ones. Recent rows are never
/// dropped.
pub fn free_space(conn: &mut Connection, path: &Path, limit: u64, previous: Option<u64>) -> Result<Freed, StoreError> {
    let mut freed = Freed::at(used_bytes(conn, path)?);
    let Some(mark) = budget::mark(freed.before, limit, previous) else { return Ok(freed) };
    for _ in 0..budget::MAX_ROUNDS {
        // The WAL first, every round: checkpointed and truncated, it may
        // be most of the excess, and deleting writes to it again.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let used = used_bytes(conn, path)?;
        if used <= mark {
            break;
        }
        let need = used - mark;
        let n = delete_oldest(conn, "samples", budget::rows_for(need, LEGACY_ROW_BYTES, MIN_ROWS, MAX_ROWS))?;
        if n > 0 {
            freed.raw_rows += n;
            continue;
        }
        let n = delete_oldest_chunks(conn, need)?;
        if n > 0 {
            freed.raw_chunks += n;
            continue;
        }
        let n = delete_oldest(conn, "samples_1m", budget::rows_for(need, ROLLUP_ROW_BYTES, MIN_ROWS, MAX_ROWS))?;
        if n > 0 {
            freed.minute_rows += n;
            continue;
        }
        let n = delete_oldest(conn, "samples_1h", budget::rows_for(need, ROLLUP_ROW_BYTES, MIN_ROWS, MAX_ROWS))?;
        if n > 0 {
            freed.hour_rows += n;
            continue;
        }
        break;
    }
    if pragma(conn, "auto_vacuum")? == 2 {
        // Incremental: hand the freed pages back to the file system.
        conn.query_row("PRAGMA incremental_vacuum", [], |_| Ok(())).optional()?;
    }
    freed.after = used_bytes(conn, path)?;
    Ok(freed)
}

/// Bytes per table (indexes counted with their table). `dbstat` walks
/// every page, so the store asks for this less often than for [`usage`].
pub fn table_sizes(conn: &Connection) -> Result<Vec<TableUsage>, StoreError> {
    let mut tables: Vec<TableUsage> = Vec::new();
    {
        let mut stmt = conn.prepare(
            "SELECT m.tbl_name, sum(d.pgsize) FROM dbstat AS d JOIN sqlite_master AS m ON m.name = d.name
             WHERE d.aggregate = TRUE GROUP BY m.tbl_name",
        )?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (table, bytes) = row?;
            tables.push(TableUsage { table, bytes: bytes.max(0) as u64 });
        }
    }
    Ok(tables)
}

/// How big the store is and what it holds (`oldest_recent`: the oldest
/// unsealed sample, which the store knows without reading; `tables`: as
/// [`table_sizes`] last found them).
pub fn usage(
    conn: &Connection,
    path: &Path,
    oldest_recent: Option<i64>,
    tables: Vec<TableUsage>,
) -> Result<StoreUsage, StoreError> {
    let file = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let total_bytes = file + wal_bytes(path);
    let sealed: i64 = conn.query_row("SELECT samples FROM chunk_totals WHERE id = 1", [], |r| r.get(0))?;
    let recent: i64 = conn.query_row("SELECT count(*) FROM samples_recent", [], |r| r.get(0))?;
    let version1: i64 = conn.query_row("SELECT count(*) FROM samples", [], |r| r.get(0))?;
    let oldest = |sql: &str| -> Result<Option<i64>, StoreError> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
    let oldest_raw = [
        oldest("SELECT min(ts_first) FROM (SELECT ts_first FROM chunks ORDER BY ts_last LIMIT 64)")?,
        oldest("SELECT min(ts) FROM samples")?,
        oldest_recent,
    ]
    .into_iter()
    .flatten()
    .min();
    Ok(StoreUsage {
        total_bytes,
        tables,
        raw_samples: (sealed + recent + version1).max(0) as u64,
        version1_rows: version1.max(0) as u64,
        oldest_raw_ms: oldest_raw,
        oldest_minute_ms: oldest("SELECT min(ts) FROM samples_1m")?,
        oldest_hour_ms: oldest("SELECT min(ts) FROM samples_1h")?,
        ..StoreUsage::default()
    })
}

/// Makes a new database file vacuum incrementally (must come before its
/// first table); an existing one keeps its mode.
pub fn prepare_new(conn: &Connection) -> Result<(), StoreError> {
    if pragma(conn, "page_count")? == 0 {
        conn.execute_batch("PRAGMA auto_vacuum = INCREMENTAL")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::params;

    #[test]
    fn oldest_rows_go_first() {
        let conn = Connection::open_in_memory().expect("db");
        conn.execute_batch("CREATE TABLE samples_1m (ts INTEGER); CREATE INDEX t ON samples_1m (ts);").expect("table");
        for ts in [5, 1, 3, 2, 4] {
            conn.execute("INSERT INTO samples_1m VALUES (?1)", params![ts]).expect("row");
        }
        assert_eq!(delete_oldest(&conn, "samples_1m", 2).expect("delete"), 2);
        let left: Vec<i64> = conn
            .prepare("SELECT ts FROM samples_1m ORDER BY ts")
            .expect("stmt")
            .query_map([], |r| r.get(0))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("all");
        assert_eq!(left, vec![3, 4, 5]);
    }
}
