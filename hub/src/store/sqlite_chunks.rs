//! SQLite's compact history: recent rows, sealing into chunks, and the
//! history and last-seq reads over both (plus the version-1 wide rows
//! while an upgraded database still has them).
//!
//! Every function here runs on a connection the caller owns: writes on the
//! writer thread (so they are serialised with batch writes), reads on the
//! reader connection.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::chunk;
use super::compact::{self, ChunkRow, ChunkState, Gather, InstanceId, KeyMap, Sealed};
use super::history::{self, Plan, Resolution};
use super::rollup::{self, Point, Rollups};
use super::rows::MachineRefresh;
use super::{Batch, Points, StoreError};
use crate::events::MachineUpdate;
use crate::metrics::METRICS;

/// Reads the compact history's state (once, at open).
pub fn load_state(conn: &Connection, compact_after: Duration) -> Result<ChunkState, StoreError> {
    let mut keys = HashMap::new();
    let mut stmt = conn.prepare("SELECT key, machine_id, instance_id FROM instances")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))? {
        let (key, machine, instance) = row?;
        keys.insert((machine, instance), key);
    }
    let mut stmt = conn.prepare("SELECT instance, min(ts) FROM samples_recent GROUP BY instance")?;
    let oldest =
        stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?.collect::<Result<Vec<_>, _>>()?;
    let legacy = conn.query_row("SELECT EXISTS (SELECT 1 FROM samples)", [], |r| r.get::<_, bool>(0))?;
    Ok(ChunkState::new(keys, oldest, compact_after, legacy))
}

/// The keys of a batch's instances in batch order, made in `tx` where
/// new (returned apart, to remember once the transaction commits).
fn keys_of(
    tx: &Transaction,
    state: &ChunkState,
    batch: &[&Arc<MachineUpdate>],
) -> Result<(Vec<i64>, KeyMap), StoreError> {
    let wanted = state.batch_keys(batch.iter().copied());
    let mut made = HashMap::new();
    if !wanted.missing.is_empty() {
        let mut insert = tx.prepare_cached(
            "INSERT INTO instances (machine_id, instance_id, cpu_cores) VALUES (?1, ?2, ?3)
             ON CONFLICT (machine_id, instance_id) DO UPDATE SET cpu_cores = excluded.cpu_cores
             RETURNING key",
        )?;
        for (id, cores) in &wanted.missing {
            let key: i64 = insert.query_row(params![id.0, id.1, cores], |r| r.get(0))?;
            made.insert(id.clone(), key);
        }
    }
    Ok((wanted.resolve(batch.iter().copied(), &made)?, made))
}

/// Writes a batch as recent rows, with the machine rows due, in one
/// transaction; samples already stored as recent rows are skipped (those
/// already sealed are dropped when sealing meets them).
pub fn write_batch(
    conn: &mut Connection,
    batch: &Batch,
    refresh: &MachineRefresh,
    state: &ChunkState,
    upsert_machines: impl FnOnce(&Transaction, &[&Arc<MachineUpdate>]) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let plan = refresh.plan(batch);
    let updates: Vec<&Arc<MachineUpdate>> = batch.iter().collect();
    let mut written: Vec<(i64, i64)> = Vec::with_capacity(batch.len());
    let tx = conn.transaction()?;
    let (keys, made) = keys_of(&tx, state, &updates)?;
    let ordered = compact::in_key_order(keys, updates);
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO samples_recent (instance, seq, ts, sample) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (key, update) in ordered {
            let body = compact::recent_body(&update.latest);
            insert.execute(params![key, update.latest.seq as i64, update.latest.timestamp_ms, body])?;
            written.push((key, update.latest.timestamp_ms));
        }
        upsert_machines(&tx, &plan.due)?;
    }
    tx.commit()?;
    refresh.committed(&plan);
    state.committed(made, written);
    Ok(())
}

/// The seqs a stored chunk holds, of those in `range`.
fn chunk_seqs(tx: &Transaction, instance: i64, range: (i64, i64)) -> Result<HashSet<u64>, StoreError> {
    let mut held = HashSet::new();
    let mut stmt = tx.prepare_cached(
        "SELECT seq_first, seq_last, samples, body FROM chunks
         WHERE instance = ?1 AND seq_last >= ?2 AND seq_first <= ?3",
    )?;
    let rows = stmt.query_map(params![instance, range.0, range.1], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, Vec<u8>>(3)?))
    })?;
    for row in rows {
        let (first, last, samples, body) = row?;
        compact::add_held(&mut held, first, last, samples, &body)?;
    }
    Ok(held)
}

/// Inserts chunks of `instance`.
pub fn insert_chunks(tx: &Transaction, instance: i64, rows: &[ChunkRow]) -> Result<(), StoreError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO chunks (instance, seq_first, seq_last, ts_first, ts_last, samples, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for row in rows {
        insert.execute(params![
            instance,
            row.seq_first,
            row.seq_last,
            row.ts_first,
            row.ts_last,
            row.samples,
            row.body
        ])?;
    }
    Ok(())
}

/// Seals the recent rows of `due` (instance, cutoff) older than each
/// cutoff, in one transaction: chunks in, their rows out, their rollups merged.
pub fn seal(conn: &mut Connection, due: &[(i64, i64)], state: &ChunkState) -> Result<Sealed, StoreError> {
    let mut done = Sealed::default();
    let mut left: Vec<(i64, Option<i64>)> = Vec::with_capacity(due.len());
    let mut rollups = Rollups::default();
    let tx = conn.transaction()?;
    for &(instance, cutoff) in due {
        let Some((machine_id, cores)) = tx
            .query_row("SELECT machine_id, cpu_cores FROM instances WHERE key = ?1", [instance], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?))
            })
            .optional()?
        else {
            left.push((instance, None));
            continue;
        };
        let mut samples = Vec::new();
        {
            let mut stmt =
                tx.prepare_cached("SELECT sample FROM samples_recent WHERE instance = ?1 AND ts < ?2 ORDER BY seq")?;
            for body in stmt.query_map(params![instance, cutoff], |r| r.get::<_, Vec<u8>>(0))? {
                samples.push(compact::from_recent_body(&body?)?);
            }
        }
        let held = match compact::seq_range(&samples) {
            Some(range) => chunk_seqs(&tx, instance, range)?,
            None => HashSet::new(),
        };
        let (rows, sealed) = compact::seal_instance(&machine_id, cores, samples, &held, &mut rollups)?;
        insert_chunks(&tx, instance, &rows)?;
        done += sealed;
        fault_pause();
        tx.execute("DELETE FROM samples_recent WHERE instance = ?1 AND ts < ?2", params![instance, cutoff])?;
        left.push((instance, remaining(&tx, instance, cutoff)?));
    }
    merge_rollups(&tx, &rollups)?;
    tx.commit()?;
    state.left(left);
    Ok(done)
}

/// Fault injection (see [`compact::fault_pause`]): blocks the writer thread.
fn fault_pause() {
    if let Some(pause) = compact::fault_pause() {
        std::thread::sleep(pause);
    }
}

/// After rows of `instance` older than `cutoff` went: `cutoff` if any are
/// left (none is older), None if none are. Cheaper than finding the
/// oldest, and as good for deciding when the next cell is due.
fn remaining(tx: &Transaction, instance: i64, cutoff: i64) -> Result<Option<i64>, StoreError> {
    let any: bool =
        tx.query_row("SELECT EXISTS (SELECT 1 FROM samples_recent WHERE instance = ?1)", [instance], |r| r.get(0))?;
    Ok(any.then_some(cutoff))
}

/// Adds sealed samples' buckets to the rollup tables.
fn merge_rollups(tx: &Transaction, rollups: &Rollups) -> Result<(), StoreError> {
    for (table, machine_id, ts, samples, values) in compact::rollup_rows(rollups) {
        let mut upsert = tx.prepare_cached(&rollup::merge_sql(table, |n| format!("?{n}"), "max"))?;
        let mut params: Vec<rusqlite::types::Value> = Vec::with_capacity(3 + values.len());
        params.extend([machine_id.to_owned().into(), ts.into(), samples.into()]);
        params.extend(values.into_iter().map(rusqlite::types::Value::from));
        upsert.execute(rusqlite::params_from_iter(params))?;
    }
    Ok(())
}

/// Converts the oldest run of version-1 wide rows (one instance, up to
/// [`compact::CONVERT_ROWS`]) into chunks in one transaction: chunks in,
/// rows out (their rollups exist already). Returns the rows consumed; 0
/// when none are left.
pub fn convert_legacy(conn: &mut Connection, state: &ChunkState) -> Result<usize, StoreError> {
    if !state.has_legacy() {
        return Ok(0);
    }
    let tx = conn.transaction()?;
    let Some(id): Option<InstanceId> = tx
        .query_row("SELECT machine_id, instance_id FROM samples LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
    else {
        tx.commit()?;
        state.set_legacy(false);
        return Ok(0);
    };
    let cores: u32 = tx
        .query_row("SELECT cpu_cores FROM machines WHERE machine_id = ?1", [&id.0], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    let key: i64 = tx.query_row(
        "INSERT INTO instances (machine_id, instance_id, cpu_cores) VALUES (?1, ?2, ?3)
         ON CONFLICT (machine_id, instance_id) DO UPDATE SET cpu_cores = instances.cpu_cores RETURNING key",
        params![id.0, id.1, cores],
        |r| r.get(0),
    )?;
    let sql = format!(
        "SELECT seq, ts, detail, {} FROM samples WHERE machine_id = ?1 AND instance_id = ?2 ORDER BY seq LIMIT ?3",
        METRICS.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
    );
    let samples: Vec<_> = {
        let mut stmt = tx.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![id.0, id.1, compact::CONVERT_ROWS], |r| {
            let values = (0..METRICS.len()).map(|i| r.get::<_, Option<f64>>(i + 3)).collect::<Result<Vec<_>, _>>()?;
            Ok(compact::legacy_sample(r.get(0)?, r.get(1)?, &values, &r.get::<_, String>(2)?))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    let Some(range) = compact::seq_range(&samples) else { return Ok(0) };
    let held = chunk_seqs(&tx, key, range)?;
    let consumed = samples.len();
    let (rows, _) = compact::convert_run(samples, &held)?;
    insert_chunks(&tx, key, &rows)?;
    tx.execute(
        "DELETE FROM samples WHERE machine_id = ?1 AND instance_id = ?2 AND seq BETWEEN ?3 AND ?4",
        params![id.0, id.1, range.0, range.1],
    )?;
    tx.commit()?;
    state.committed(HashMap::from([(id, key)]), []);
    Ok(consumed)
}

/// Raw retention: chunks whose newest sample is older than `before`, and
/// recent rows older than it (instances whose oldest row is).
pub fn drop_raw_before(conn: &mut Connection, before: i64, state: &ChunkState) -> Result<(), StoreError> {
    let old = state.older_than(before);
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM chunks WHERE ts_last < ?1", [before])?;
    let mut left = Vec::new();
    for instance in old {
        tx.execute("DELETE FROM samples_recent WHERE instance = ?1 AND ts < ?2", params![instance, before])?;
        left.push((instance, remaining(&tx, instance, before)?));
    }
    if state.has_legacy() {
        tx.execute("DELETE FROM samples WHERE ts < ?1", [before])?;
    }
    tx.commit()?;
    state.left(left);
    state.set_raw_horizon(before);
    Ok(())
}

/// Highest stored seq of an agent instance: recent rows, chunks and version-1 rows.
pub fn last_seq(conn: &Connection, machine_id: &str, instance_id: &str, state: &ChunkState) -> Result<u64, StoreError> {
    let mut best: i64 = 0;
    let key: Option<i64> = conn
        .query_row(
            "SELECT key FROM instances WHERE machine_id = ?1 AND instance_id = ?2",
            [machine_id, instance_id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(key) = key {
        for sql in [
            "SELECT max(seq) FROM samples_recent WHERE instance = ?1",
            "SELECT max(seq_last) FROM chunks WHERE instance = ?1",
        ] {
            let seq: Option<i64> = conn.query_row(sql, [key], |r| r.get(0))?;
            best = best.max(seq.unwrap_or(0));
        }
    }
    if state.has_legacy() {
        let seq: Option<i64> = conn.query_row(
            "SELECT max(seq) FROM samples WHERE machine_id = ?1 AND instance_id = ?2",
            [machine_id, instance_id],
            |r| r.get(0),
        )?;
        best = best.max(seq.unwrap_or(0));
    }
    Ok(best.max(0) as u64)
}

/// Points of one machine for a history plan.
pub fn history(conn: &Connection, machine_id: &str, plan: &Plan, state: &ChunkState) -> Result<Points, StoreError> {
    let mut gather = Gather::new(plan, state.raw_horizon());
    let instances: Vec<(i64, u32)> = {
        let mut stmt = conn.prepare_cached("SELECT key, cpu_cores FROM instances WHERE machine_id = ?1")?;
        let rows = stmt.query_map([machine_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for &(instance, cores) in &instances {
        if let Some((from, to)) = gather.chunk_range() {
            let mut stmt =
                conn.prepare_cached("SELECT body FROM chunks WHERE instance = ?1 AND ts_last >= ?2 AND ts_first < ?3")?;
            for body in stmt.query_map(params![instance, from, to], |r| r.get::<_, Vec<u8>>(0))? {
                gather.add_chunk(instance, cores, &body?)?;
            }
        }
        let (from, to) = gather.recent_range();
        let mut stmt =
            conn.prepare_cached("SELECT sample FROM samples_recent WHERE instance = ?1 AND ts >= ?2 AND ts < ?3")?;
        for body in stmt.query_map(params![instance, from, to], |r| r.get::<_, Vec<u8>>(0))? {
            gather.add_recent(instance, cores, &body?)?;
        }
    }
    if gather.reads_legacy(state.has_legacy()) {
        let sql = history::legacy_sql(plan, "ts", |n| format!("?{n}"));
        gather.add_points(points(conn, &sql, params![machine_id, plan.from_ms, plan.to_ms, plan.limit], plan)?);
    }
    if plan.resolution != Resolution::Raw {
        let sql = history::rollup_sql(plan, "ts", |n| format!("?{n}"));
        gather.add_points(points(conn, &sql, params![machine_id, plan.from_ms, plan.to_ms], plan)?);
    }
    Ok(gather.finish())
}

/// Points of a query of [`history`]'s (columns ts, weight, values).
fn points(conn: &Connection, sql: &str, params: impl rusqlite::Params, plan: &Plan) -> Result<Vec<Point>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let width = plan.metrics.len();
    let rows = stmt.query_map(params, |r| {
        let values =
            (0..width).map(|i| r.get::<_, Option<f64>>(i + 2).map(|v| v.unwrap_or(0.0))).collect::<Result<_, _>>()?;
        Ok(Point { ts: r.get(0)?, weight: r.get(1)?, values })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every stored sample of a machine as (instance_id, seq, ts), wherever it
/// is kept (recent rows, chunks, version-1 rows), unsorted, duplicates
/// included: what tests check exactly-once against.
pub fn stored_samples(conn: &Connection, machine_id: &str) -> Result<Vec<(String, u64, i64)>, StoreError> {
    let mut out = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT i.instance_id, r.seq, r.ts FROM samples_recent r JOIN instances i ON i.key = r.instance
         WHERE i.machine_id = ?1",
    )?;
    for row in
        stmt.query_map([machine_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?
    {
        let (instance, seq, ts) = row?;
        out.push((instance, seq as u64, ts));
    }
    let mut stmt = conn.prepare(
        "SELECT i.instance_id, c.body FROM chunks c JOIN instances i ON i.key = c.instance WHERE i.machine_id = ?1",
    )?;
    for row in stmt.query_map([machine_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)))? {
        let (instance, body) = row?;
        out.extend(
            chunk::decode_part(&body, chunk::Part::Seqs)?
                .into_iter()
                .map(|s| (instance.clone(), s.seq, s.timestamp_ms)),
        );
    }
    let mut stmt = conn.prepare("SELECT instance_id, seq, ts FROM samples WHERE machine_id = ?1")?;
    for row in
        stmt.query_map([machine_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?
    {
        let (instance, seq, ts) = row?;
        out.push((instance, seq as u64, ts));
    }
    Ok(out)
}
