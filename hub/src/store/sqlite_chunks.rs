//! SQLite's compact history: recent rows, sealing into chunks, and the
//! history and last-seq reads over both (plus the version-1 wide rows
//! while an upgraded database still has them).
//!
//! Every function here runs on a connection the caller owns: writes on the
//! writer thread (so they are serialised with batch writes), reads on the
//! reader connection.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use sysmonstm_protocol::model::{HostInfo, Sample};
use sysmonstm_protocol::pb;

use super::chunk;
use super::history::{Plan, Resolution};
use super::metrics::{self, METRICS};
use super::rollup::{self, Point, Rollups};
use super::rows::MachineRefresh;
use super::seal::Pending;
use super::{Batch, Points, StoreError};
use crate::events::MachineUpdate;

/// What the SQLite store keeps in memory about its compact history.
#[derive(Debug)]
pub struct ChunkState {
    /// (machine_id, instance_id) -> instance key.
    keys: Mutex<HashMap<(String, String), i64>>,
    /// Instances with recent rows, and their oldest.
    pending: Mutex<Pending>,
    /// How much of an instance's timeline one chunk covers.
    pub compact_after: Duration,
    /// Whether version-1 wide rows are left to read.
    pub legacy: std::sync::atomic::AtomicBool,
    /// Raw samples older than this are past retention (dropped with their
    /// chunk; until then hidden from history).
    pub raw_horizon: std::sync::atomic::AtomicI64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ChunkState {
    /// Reads keys and pending instances (once, at open).
    pub fn load(conn: &Connection, compact_after: Duration) -> Result<ChunkState, StoreError> {
        let mut keys = HashMap::new();
        let mut stmt = conn.prepare("SELECT key, machine_id, instance_id FROM instances")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))? {
            let (key, machine, instance) = row?;
            keys.insert((machine, instance), key);
        }
        let mut pending = Pending::default();
        let mut stmt = conn.prepare("SELECT instance, min(ts) FROM samples_recent GROUP BY instance")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
            let (instance, oldest) = row?;
            pending.wrote(instance, oldest);
        }
        let legacy = conn.query_row("SELECT EXISTS (SELECT 1 FROM samples)", [], |r| r.get::<_, bool>(0))?;
        Ok(ChunkState {
            keys: Mutex::new(keys),
            pending: Mutex::new(pending),
            compact_after,
            legacy: legacy.into(),
            raw_horizon: i64::MIN.into(),
        })
    }

    fn has_legacy(&self) -> bool {
        self.legacy.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Instances with recent rows.
    pub fn pending_instances(&self) -> usize {
        lock(&self.pending).len()
    }

    /// Instances due for sealing at `now`, with their cutoffs.
    pub fn due(&self, now_ms: i64) -> Vec<(i64, i64)> {
        lock(&self.pending).due(now_ms, self.compact_after)
    }
}

/// The key of an instance, made in `tx` if new (and remembered in `made` until commit).
fn key_of(
    tx: &Transaction,
    state: &ChunkState,
    made: &mut HashMap<(String, String), i64>,
    update: &MachineUpdate,
) -> Result<i64, StoreError> {
    let id = (update.machine_id().to_owned(), update.instance_id.to_string());
    if let Some(&key) = lock(&state.keys).get(&id).or(made.get(&id)) {
        return Ok(key);
    }
    let key = tx.query_row(
        "INSERT INTO instances (machine_id, instance_id, cpu_cores) VALUES (?1, ?2, ?3)
         ON CONFLICT (machine_id, instance_id) DO UPDATE SET cpu_cores = excluded.cpu_cores
         RETURNING key",
        params![id.0, id.1, update.host.cpu_cores],
        |r| r.get(0),
    )?;
    made.insert(id, key);
    Ok(key)
}

/// A recent row's body: the sample as protobuf. Recent rows live for
/// minutes, so cheap to write and read matters more than size here.
pub fn recent_body(sample: &Sample) -> Vec<u8> {
    prost::Message::encode_to_vec(&pb::Sample::from(sample))
}

/// The sample of a recent row.
pub fn from_recent_body(body: &[u8]) -> Result<Sample, StoreError> {
    let decoded: pb::Sample =
        prost::Message::decode(body).map_err(|e| StoreError::Corrupt(format!("recent sample: {e}")))?;
    Ok(decoded.into())
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
    // In key order, the inserts walk the primary key forward.
    let mut ordered: Vec<&Arc<MachineUpdate>> = batch.iter().collect();
    ordered.sort_unstable_by(|a, b| {
        (a.machine_id(), &*a.instance_id, a.latest.seq).cmp(&(b.machine_id(), &*b.instance_id, b.latest.seq))
    });
    let mut made = HashMap::new();
    let mut written: Vec<(i64, i64)> = Vec::with_capacity(batch.len());
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO samples_recent (instance, seq, ts, sample) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for update in ordered {
            let key = key_of(&tx, state, &mut made, update)?;
            let body = recent_body(&update.latest);
            insert.execute(params![key, update.latest.seq as i64, update.latest.timestamp_ms, body])?;
            written.push((key, update.latest.timestamp_ms));
        }
        upsert_machines(&tx, &plan.due)?;
    }
    tx.commit()?;
    refresh.committed(&plan);
    lock(&state.keys).extend(made);
    let mut pending = lock(&state.pending);
    for (key, ts) in written {
        pending.wrote(key, ts);
    }
    Ok(())
}

/// What one sealing transaction did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sealed {
    pub chunks: usize,
    pub samples: usize,
    /// Recent rows dropped because a chunk already held them.
    pub duplicates: usize,
}

impl std::ops::AddAssign for Sealed {
    fn add_assign(&mut self, other: Sealed) {
        self.chunks += other.chunks;
        self.samples += other.samples;
        self.duplicates += other.duplicates;
    }
}

/// The seqs a stored chunk holds, of those in `range`.
fn chunk_seqs(tx: &Transaction, instance: i64, range: (u64, u64)) -> Result<HashSet<u64>, StoreError> {
    let mut held = HashSet::new();
    let mut stmt = tx.prepare_cached(
        "SELECT seq_first, seq_last, samples, body FROM chunks
         WHERE instance = ?1 AND seq_last >= ?2 AND seq_first <= ?3",
    )?;
    let rows = stmt.query_map(params![instance, range.0 as i64, range.1 as i64], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, Vec<u8>>(3)?))
    })?;
    for row in rows {
        let (first, last, samples, body) = row?;
        if samples == last - first + 1 {
            held.extend(first as u64..=last as u64);
        } else {
            held.extend(chunk::decode(&body)?.iter().map(|s| s.seq));
        }
    }
    Ok(held)
}

/// Inserts `samples` (one instance, in seq order) as chunks.
pub fn insert_chunks(tx: &Transaction, instance: i64, samples: &[Sample]) -> Result<usize, StoreError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO chunks (instance, seq_first, seq_last, ts_first, ts_last, samples, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut made = 0;
    for run in samples.chunks(chunk::MAX_SAMPLES) {
        let (Some(first), Some(last)) = (run.first(), run.last()) else { continue };
        let ts_first = run.iter().map(|s| s.timestamp_ms).min().unwrap_or(first.timestamp_ms);
        let ts_last = run.iter().map(|s| s.timestamp_ms).max().unwrap_or(last.timestamp_ms);
        insert.execute(params![
            instance,
            first.seq as i64,
            last.seq as i64,
            ts_first,
            ts_last,
            run.len() as i64,
            chunk::encode(run)?
        ])?;
        made += 1;
    }
    Ok(made)
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
                samples.push(from_recent_body(&body?)?);
            }
        }
        if let (Some(first), Some(last)) = (samples.first(), samples.last()) {
            let held = chunk_seqs(&tx, instance, (first.seq, last.seq))?;
            let before = samples.len();
            samples.retain(|s| !held.contains(&s.seq));
            done.duplicates += before - samples.len();
        }
        let host = HostInfo { cpu_cores: cores, ..HostInfo::default() };
        for s in &samples {
            rollups.add(&machine_id, s, &host);
        }
        done.chunks += insert_chunks(&tx, instance, &samples)?;
        done.samples += samples.len();
        fault_pause();
        tx.execute("DELETE FROM samples_recent WHERE instance = ?1 AND ts < ?2", params![instance, cutoff])?;
        left.push((instance, remaining(&tx, instance, cutoff)?));
    }
    merge_rollups(&tx, &rollups)?;
    tx.commit()?;
    let mut pending = lock(&state.pending);
    for (instance, oldest) in left {
        pending.left(instance, oldest);
    }
    Ok(done)
}

/// Fault injection for tests: with `SYSMONSTM_FAULT_SEAL_PAUSE_MS` set,
/// sealing stops that long between inserting a chunk and deleting its
/// rows (inside the transaction), and says so on stderr, so a test can
/// kill the hub right there.
fn fault_pause() {
    static PAUSE: std::sync::OnceLock<Option<Duration>> = std::sync::OnceLock::new();
    let pause = PAUSE
        .get_or_init(|| std::env::var(FAULT_SEAL_PAUSE).ok().and_then(|ms| ms.parse().ok()).map(Duration::from_millis));
    if let Some(pause) = *pause {
        eprintln!("{FAULT_SEAL_PAUSE}: sealing paused for {pause:?} between a chunk insert and its rows' delete");
        std::thread::sleep(pause);
    }
}

/// The environment variable of [`fault_pause`].
pub const FAULT_SEAL_PAUSE: &str = "SYSMONSTM_FAULT_SEAL_PAUSE_MS";

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
    for (table, buckets) in [("samples_1m", &rollups.minute), ("samples_1h", &rollups.hour)] {
        let mut upsert = tx.prepare_cached(&rollup::merge_sql(table, |n| format!("?{n}"), "max"))?;
        for ((machine_id, ts), bucket) in buckets {
            let mut values: Vec<rusqlite::types::Value> = Vec::with_capacity(3 + 2 * METRICS.len());
            values.push(machine_id.clone().into());
            values.push((*ts).into());
            values.push(bucket.samples.into());
            for (avg, max) in bucket.avg().zip(&bucket.max) {
                values.push(avg.into());
                values.push((*max).into());
            }
            upsert.execute(rusqlite::params_from_iter(values))?;
        }
    }
    Ok(())
}

/// Raw retention: chunks whose newest sample is older than `before`, and
/// recent rows older than it (instances whose oldest row is).
pub fn drop_raw_before(conn: &mut Connection, before: i64, state: &ChunkState) -> Result<(), StoreError> {
    let old = lock(&state.pending).older_than(before);
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
    let mut pending = lock(&state.pending);
    for (instance, oldest) in left {
        pending.left(instance, oldest);
    }
    state.raw_horizon.store(before, std::sync::atomic::Ordering::Relaxed);
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

/// The positions in `METRICS` of a plan's metrics.
fn columns(plan: &Plan) -> Vec<usize> {
    plan.metrics.iter().filter_map(|name| METRICS.iter().position(|m| m.name == *name)).collect()
}

/// A raw point of one sample.
fn point(sample: &Sample, host: &HostInfo, wanted: &[usize]) -> Point {
    let all = metrics::values(sample, host);
    Point { ts: sample.timestamp_ms, weight: 1.0, values: wanted.iter().map(|&i| all[i]).collect() }
}

/// Points of one machine for a history plan.
pub fn history(conn: &Connection, machine_id: &str, plan: &Plan, state: &ChunkState) -> Result<Points, StoreError> {
    let wanted = columns(plan);
    let horizon = state.raw_horizon.load(std::sync::atomic::Ordering::Relaxed);
    let from = plan.from_ms.max(horizon);
    let mut points = Vec::new();
    let instances: Vec<(i64, u32)> = {
        let mut stmt = conn.prepare_cached("SELECT key, cpu_cores FROM instances WHERE machine_id = ?1")?;
        let rows = stmt.query_map([machine_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut seen: HashSet<(i64, u64)> = HashSet::new();
    let in_range = |s: &Sample| s.timestamp_ms >= from && s.timestamp_ms < plan.to_ms;
    for &(instance, cores) in &instances {
        let host = HostInfo { cpu_cores: cores, ..HostInfo::default() };
        if plan.resolution == Resolution::Raw {
            let mut stmt =
                conn.prepare_cached("SELECT body FROM chunks WHERE instance = ?1 AND ts_last >= ?2 AND ts_first < ?3")?;
            for body in stmt.query_map(params![instance, from, plan.to_ms], |r| r.get::<_, Vec<u8>>(0))? {
                for s in chunk::decode(&body?)?.iter().filter(|s| in_range(s)) {
                    if seen.insert((instance, s.seq)) {
                        points.push(point(s, &host, &wanted));
                    }
                }
            }
        }
        // Recent rows: raw points, or (for rollup plans) what is not rolled up yet.
        let mut stmt =
            conn.prepare_cached("SELECT seq, sample FROM samples_recent WHERE instance = ?1 AND ts >= ?2 AND ts < ?3")?;
        let since = if plan.resolution == Resolution::Raw { from } else { plan.from_ms };
        for row in stmt
            .query_map(params![instance, since, plan.to_ms], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?
        {
            let (seq, body) = row?;
            if seen.insert((instance, seq as u64)) {
                points.push(point(&from_recent_body(&body)?, &host, &wanted));
            }
        }
    }
    let limit = plan.limit.max(0) as usize;
    match plan.resolution {
        Resolution::Raw => {
            if state.has_legacy() {
                points.extend(legacy_raw(conn, machine_id, plan, from)?);
            }
            Ok(rollup::combine(points, plan.bucket_ms, limit))
        }
        Resolution::Minute | Resolution::Hour => {
            points.extend(stored_rollups(conn, machine_id, plan)?);
            Ok(rollup::combine(points, Some(plan.bucket_ms.unwrap_or(plan.resolution.native_ms())), limit))
        }
    }
}

/// Rows of a rollup table, weighted by their samples.
fn stored_rollups(conn: &Connection, machine_id: &str, plan: &Plan) -> Result<Vec<Point>, StoreError> {
    let table = if plan.resolution == Resolution::Minute { "samples_1m" } else { "samples_1h" };
    let cols: Vec<String> = plan.metrics.iter().map(|m| format!("{m}_avg")).collect();
    let sql = format!(
        "SELECT ts, samples, {} FROM {table} WHERE machine_id = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts",
        cols.join(", ")
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let width = plan.metrics.len();
    let rows = stmt.query_map(params![machine_id, plan.from_ms, plan.to_ms], |r| {
        let values =
            (0..width).map(|i| r.get::<_, Option<f64>>(i + 2).map(|v| v.unwrap_or(0.0))).collect::<Result<_, _>>()?;
        Ok(Point { ts: r.get(0)?, weight: r.get::<_, i64>(1)? as f64, values })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Version-1 wide rows of a machine in range.
fn legacy_raw(conn: &Connection, machine_id: &str, plan: &Plan, from: i64) -> Result<Vec<Point>, StoreError> {
    let sql = format!(
        "SELECT ts, {} FROM samples WHERE machine_id = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts LIMIT ?4",
        plan.metrics.join(", ")
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let width = plan.metrics.len();
    let rows = stmt.query_map(params![machine_id, from, plan.to_ms, plan.limit], |r| {
        let values =
            (0..width).map(|i| r.get::<_, Option<f64>>(i + 1).map(|v| v.unwrap_or(0.0))).collect::<Result<_, _>>()?;
        Ok(Point { ts: r.get(0)?, weight: 1.0, values })
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
        out.extend(chunk::decode(&body)?.into_iter().map(|s| (instance.clone(), s.seq, s.timestamp_ms)));
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
