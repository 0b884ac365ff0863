//! PostgreSQL's compact history: recent rows, sealing into chunks, time
//! partitions, retention by dropping them, and the history and last-seq
//! reads over it all (plus the version-1 wide rows while an upgraded
//! database still has them). The logic both backends share is in
//! [`super::compact`]; this file holds PostgreSQL's SQL.
//!
//! Several hubs may share the database (multi-hub): a sealing transaction
//! locks each instance's row first, so two hubs never seal the same rows,
//! and every hub looks for recent rows others left ([`reload_pending`]).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use deadpool_postgres::GenericClient;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};

use super::compact::{self, ChunkState, Gather, InstanceId, KeyMap, Sealed};
use super::history::{self, Plan, Resolution};
use super::partition::{self, Partition, Partitioned};
use super::rollup::{self, Point, Rollups};
use super::{Batch, Points, StoreError};

pub(super) fn pg(error: impl std::fmt::Display) -> StoreError {
    StoreError::Postgres(error.to_string())
}

pub(super) use sysmonstm_protocol::clock::{from_ms as to_time, to_ms};

/// `ts` as ms since the epoch, in SQL.
const EPOCH_MS: &str = "(extract(epoch FROM ts) * 1000)::bigint";

/// Reads the compact history's state (once, at connect).
pub async fn load_state(client: &impl GenericClient, compact_after: Duration) -> Result<ChunkState, StoreError> {
    let keys = client
        .query("SELECT key, machine_id, instance_id FROM instances", &[])
        .await
        .map_err(pg)?
        .iter()
        .map(|r| ((r.get::<_, String>(1), r.get::<_, String>(2)), r.get::<_, i64>(0)))
        .collect();
    let oldest = pending_rows(client).await?;
    let legacy = client.query_one("SELECT EXISTS (SELECT 1 FROM samples)", &[]).await.map_err(pg)?.get::<_, bool>(0);
    Ok(ChunkState::new(keys, oldest, compact_after, legacy))
}

/// Every instance with recent rows, and its oldest.
async fn pending_rows(client: &impl GenericClient) -> Result<Vec<(i64, i64)>, StoreError> {
    let rows = client.query("SELECT instance, min(ts) FROM samples_recent GROUP BY instance", &[]).await.map_err(pg)?;
    Ok(rows.iter().map(|r| (r.get::<_, i64>(0), to_ms(r.get(1)))).collect())
}

/// Merges in recent rows other hubs left (a hub that stopped before
/// sealing them): without it they would wait for this hub's restart.
pub async fn reload_pending(client: &impl GenericClient, state: &ChunkState) -> Result<(), StoreError> {
    state.found(pending_rows(client).await?);
    Ok(())
}

/// The keys of a batch's instances in batch order, made in `tx` where
/// new (returned apart, to remember once the transaction commits).
pub async fn keys_of(
    tx: &impl GenericClient,
    state: &ChunkState,
    batch: &Batch,
) -> Result<(Vec<i64>, KeyMap), StoreError> {
    let wanted = state.batch_keys(batch.iter());
    let mut made = HashMap::new();
    if !wanted.missing.is_empty() {
        let cores: Vec<i32> = wanted.missing.iter().map(|(_, cores)| *cores as i32).collect();
        let (machines, instances): (Vec<&str>, Vec<&str>) =
            wanted.missing.iter().map(|((m, i), _)| (m.as_str(), i.as_str())).unzip();
        let rows = tx
            .query(
                "INSERT INTO instances (machine_id, instance_id, cpu_cores)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::int[])
                 ON CONFLICT (machine_id, instance_id) DO UPDATE SET cpu_cores = excluded.cpu_cores
                 RETURNING key, machine_id, instance_id",
                &[&machines, &instances, &cores],
            )
            .await
            .map_err(pg)?;
        for r in rows {
            made.insert((r.get::<_, String>(1), r.get::<_, String>(2)), r.get::<_, i64>(0));
        }
    }
    Ok((wanted.resolve(batch.iter(), &made)?, made))
}

/// Why a COPY failed: a sample already stored (the batch goes again,
/// deduplicated), or anything else.
pub enum CopyError {
    Duplicate,
    Other(StoreError),
}

impl CopyError {
    pub fn into_store(self) -> StoreError {
        match self {
            CopyError::Duplicate => StoreError::Postgres("duplicate sample in a deduplicated batch".into()),
            CopyError::Other(e) => e,
        }
    }
}

impl From<tokio_postgres::Error> for CopyError {
    fn from(e: tokio_postgres::Error) -> Self {
        if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
            CopyError::Duplicate
        } else {
            CopyError::Other(pg(e))
        }
    }
}

impl From<StoreError> for CopyError {
    fn from(e: StoreError) -> Self {
        CopyError::Other(e)
    }
}

/// What [`copy_recent`] wrote, for [`ChunkState::committed`] after the commit.
pub struct Copied {
    pub made: HashMap<InstanceId, i64>,
    pub written: Vec<(i64, i64)>,
}

/// Where a batch is copied to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Straight into `samples_recent` (fails on any duplicate).
    Recent,
    /// A temporary table, then `INSERT … ON CONFLICT DO NOTHING`.
    Staging,
}

/// Copies a batch into the recent rows by binary COPY, in the caller's
/// transaction.
pub async fn copy_recent(
    tx: &deadpool_postgres::Transaction<'_>,
    state: &ChunkState,
    batch: &Batch,
    target: Target,
) -> Result<Copied, CopyError> {
    let (keys, made) = keys_of(tx, state, batch).await?;
    let table = match target {
        Target::Recent => "samples_recent",
        Target::Staging => {
            tx.batch_execute(
                "CREATE TEMP TABLE IF NOT EXISTS samples_recent_in (LIKE samples_recent) ON COMMIT DELETE ROWS",
            )
            .await?;
            "samples_recent_in"
        }
    };
    let sink = tx.copy_in(&format!("COPY {table} (instance, seq, ts, sample) FROM STDIN BINARY")).await?;
    let writer = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::INT8, Type::TIMESTAMPTZ, Type::BYTEA]);
    futures::pin_mut!(writer);
    let mut written = Vec::with_capacity(batch.len());
    // In key order (heap pages a sealing transaction then leaves wholly dead).
    for (key, update) in compact::in_key_order(keys, batch.iter()) {
        let (seq, ts) = (update.latest.seq as i64, to_time(update.latest.timestamp_ms));
        let body = compact::recent_body(&update.latest);
        writer.as_mut().write(&[&key, &seq, &ts, &body]).await?;
        written.push((key, update.latest.timestamp_ms));
    }
    writer.finish().await?;
    if target == Target::Staging {
        tx.execute("INSERT INTO samples_recent SELECT * FROM samples_recent_in ON CONFLICT DO NOTHING", &[]).await?;
    }
    Ok(Copied { made, written })
}

/// The partitions this hub made or found, so each is created once.
#[derive(Debug, Default)]
pub struct Partitions {
    known: Mutex<HashSet<String>>,
}

fn is_duplicate_table(e: &tokio_postgres::Error) -> bool {
    matches!(e.code(), Some(c) if *c == SqlState::DUPLICATE_TABLE || *c == SqlState::UNIQUE_VIOLATION)
}

impl Partitions {
    fn known(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.known.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates the partitions of `table` covering [from, to] not known yet.
    pub async fn ensure(
        &self,
        client: &impl GenericClient,
        table: Partitioned,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<(), StoreError> {
        let wanted: Vec<Partition> = {
            let known = self.known();
            table.covering(from_ms, to_ms).into_iter().filter(|p| !known.contains(&p.name)).collect()
        };
        for p in wanted {
            match client.batch_execute(&table.create_sql(&p)).await {
                Ok(()) => {}
                // Another hub made it at the same moment.
                Err(e) if is_duplicate_table(&e) => {}
                Err(e) => return Err(pg(e)),
            }
            self.known().insert(p.name);
        }
        Ok(())
    }

    /// Creates every table's partitions covering [from, to].
    pub async fn ensure_all(&self, client: &impl GenericClient, from_ms: i64, to_ms: i64) -> Result<(), StoreError> {
        for table in partition::ALL {
            self.ensure(client, table, from_ms, to_ms).await?;
        }
        Ok(())
    }

    /// The partitions of `table` there are, oldest first.
    pub async fn list(&self, client: &impl GenericClient, table: Partitioned) -> Result<Vec<Partition>, StoreError> {
        let rows = client
            .query(
                "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = $1::text::regclass",
                &[&table.table],
            )
            .await
            .map_err(pg)?;
        let mut parts: Vec<Partition> = rows.iter().filter_map(|r| table.parse(r.get::<_, &str>(0))).collect();
        parts.sort_by_key(|p| p.start_ms);
        Ok(parts)
    }

    /// Drops one partition, with everything in it.
    pub async fn drop(&self, client: &impl GenericClient, name: &str) -> Result<(), StoreError> {
        client.batch_execute(&format!("DROP TABLE IF EXISTS {name}")).await.map_err(pg)?;
        self.known().remove(name);
        Ok(())
    }

    /// Drops the partitions of `table` holding only rows older than
    /// `before`; returns how many went.
    pub async fn drop_before(
        &self,
        client: &impl GenericClient,
        table: Partitioned,
        before_ms: i64,
    ) -> Result<usize, StoreError> {
        let parts: Vec<(String, i64)> =
            self.list(client, table).await?.into_iter().map(|p| (p.name, p.end_ms)).collect();
        let expired = partition::expired(&parts, before_ms);
        for name in &expired {
            self.drop(client, name).await?;
        }
        Ok(expired.len())
    }
}

/// The seqs stored chunks of `instance` hold, of those in `range`.
async fn chunk_seqs(tx: &impl GenericClient, instance: i64, range: (i64, i64)) -> Result<HashSet<u64>, StoreError> {
    let mut held = HashSet::new();
    let rows = tx
        .query(
            "SELECT seq_first, seq_last, samples::bigint, body FROM chunks
             WHERE instance = $1 AND seq_last >= $2 AND seq_first <= $3",
            &[&instance, &range.0, &range.1],
        )
        .await
        .map_err(pg)?;
    for r in rows {
        compact::add_held(&mut held, r.get(0), r.get(1), r.get(2), r.get(3))?;
    }
    Ok(held)
}

/// Seals the recent rows of `due` (instance, cutoff) older than each
/// cutoff, in one transaction: chunks in, their rows out, their rollups
/// merged. The partitions they need are made first, outside it (a
/// partition made inside would lock its whole table until the commit).
pub async fn seal(
    client: &mut deadpool_postgres::Object,
    due: &[(i64, i64)],
    state: &ChunkState,
    partitions: &Partitions,
) -> Result<Sealed, StoreError> {
    let keys: Vec<i64> = due.iter().map(|d| d.0).collect();
    let oldest: Option<SystemTime> = client
        .query_one("SELECT min(ts) FROM samples_recent WHERE instance = ANY($1)", &[&keys])
        .await
        .map_err(pg)?
        .get(0);
    let newest = due.iter().map(|d| d.1).max().unwrap_or(0);
    if let Some(oldest) = oldest {
        partitions.ensure_all(&*client, to_ms(oldest), newest).await?;
    }
    let mut done = Sealed::default();
    let mut left: Vec<(i64, Option<i64>)> = Vec::with_capacity(due.len());
    let mut rollups = Rollups::default();
    let tx = client.transaction().await.map_err(pg)?;
    let insert = tx
        .prepare(
            "INSERT INTO chunks (instance, seq_first, seq_last, ts_first, ts_last, samples, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .await
        .map_err(pg)?;
    for &(instance, cutoff) in due {
        // Locked: another hub sealing the same instance waits, then finds the rows gone.
        let Some(row) = tx
            .query_opt("SELECT machine_id, cpu_cores FROM instances WHERE key = $1 FOR UPDATE", &[&instance])
            .await
            .map_err(pg)?
        else {
            left.push((instance, None));
            continue;
        };
        let (machine_id, cores): (String, i32) = (row.get(0), row.get(1));
        let cut = to_time(cutoff);
        let mut samples = Vec::new();
        for r in tx
            .query("SELECT sample FROM samples_recent WHERE instance = $1 AND ts < $2 ORDER BY seq", &[&instance, &cut])
            .await
            .map_err(pg)?
        {
            samples.push(compact::from_recent_body(r.get(0))?);
        }
        let held = match compact::seq_range(&samples) {
            Some(range) => chunk_seqs(&tx, instance, range).await?,
            None => HashSet::new(),
        };
        let (rows, sealed) = compact::seal_instance(&machine_id, cores.max(0) as u32, samples, &held, &mut rollups)?;
        for c in &rows {
            let (first, last, count) = (to_time(c.ts_first), to_time(c.ts_last), c.samples as i32);
            tx.execute(&insert, &[&instance, &c.seq_first, &c.seq_last, &first, &last, &count, &c.body])
                .await
                .map_err(pg)?;
        }
        done += sealed;
        if let Some(pause) = compact::fault_pause() {
            tokio::time::sleep(pause).await;
        }
        tx.execute("DELETE FROM samples_recent WHERE instance = $1 AND ts < $2", &[&instance, &cut])
            .await
            .map_err(pg)?;
        left.push((instance, remaining(&tx, instance, cutoff).await?));
    }
    merge_rollups(&tx, &rollups).await?;
    tx.commit().await.map_err(pg)?;
    state.left(left);
    Ok(done)
}

/// After rows of `instance` older than `cutoff` went: `cutoff` if any are
/// left (none is older), None if none are.
async fn remaining(tx: &impl GenericClient, instance: i64, cutoff: i64) -> Result<Option<i64>, StoreError> {
    let any: bool = tx
        .query_one("SELECT EXISTS (SELECT 1 FROM samples_recent WHERE instance = $1)", &[&instance])
        .await
        .map_err(pg)?
        .get(0);
    Ok(any.then_some(cutoff))
}

/// Adds sealed samples' buckets to the rollup tables.
async fn merge_rollups(tx: &impl GenericClient, rollups: &Rollups) -> Result<(), StoreError> {
    let mut statements = HashMap::new();
    for (table, machine_id, ts, samples, values) in compact::rollup_rows(rollups) {
        if !statements.contains_key(table) {
            let sql = rollup::merge_sql(table, |n| format!("${n}"), "GREATEST");
            statements.insert(table, tx.prepare(&sql).await.map_err(pg)?);
        }
        let ts = to_time(ts);
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(3 + values.len());
        params.extend([&machine_id as &(dyn ToSql + Sync), &ts, &samples]);
        params.extend(values.iter().map(|v| v as &(dyn ToSql + Sync)));
        tx.execute(&statements[table], &params).await.map_err(pg)?;
    }
    Ok(())
}

/// Converts the oldest run of version-1 wide rows (one instance, up to
/// [`compact::CONVERT_ROWS`]) into chunks in one transaction: chunks in,
/// rows out (their rollups exist already). The instance's row is locked,
/// so hubs sharing the database never convert the same rows twice.
/// Returns the rows consumed; 0 when none are left.
pub async fn convert_legacy(
    client: &mut deadpool_postgres::Object,
    state: &ChunkState,
    partitions: &Partitions,
) -> Result<usize, StoreError> {
    use crate::metrics::METRICS;
    if !state.has_legacy() {
        return Ok(0);
    }
    let next = client
        .query_opt("SELECT machine_id, instance_id FROM samples ORDER BY machine_id, instance_id, seq LIMIT 1", &[])
        .await
        .map_err(pg)?;
    let Some(next) = next else {
        state.set_legacy(false);
        return Ok(0);
    };
    let id: InstanceId = (next.get(0), next.get(1));
    let span = client
        .query_one(
            "SELECT min(ts), max(ts) FROM (SELECT ts FROM samples WHERE machine_id = $1 AND instance_id = $2
             ORDER BY seq LIMIT $3) run",
            &[&id.0, &id.1, &compact::CONVERT_ROWS],
        )
        .await
        .map_err(pg)?;
    if let (Some(from), Some(to)) = (span.get::<_, Option<SystemTime>>(0), span.get::<_, Option<SystemTime>>(1)) {
        partitions.ensure(&*client, partition::CHUNKS, to_ms(from), to_ms(to)).await?;
    }
    let tx = client.transaction().await.map_err(pg)?;
    let key: i64 = tx
        .query_one(
            "INSERT INTO instances (machine_id, instance_id, cpu_cores)
             VALUES ($1, $2, COALESCE((SELECT cpu_cores FROM machines WHERE machine_id = $1), 0))
             ON CONFLICT (machine_id, instance_id) DO UPDATE SET cpu_cores = instances.cpu_cores RETURNING key",
            &[&id.0, &id.1],
        )
        .await
        .map_err(pg)?
        .get(0);
    tx.execute("SELECT 1 FROM instances WHERE key = $1 FOR UPDATE", &[&key]).await.map_err(pg)?;
    let sql = format!(
        "SELECT seq, {EPOCH_MS}, detail::text, {} FROM samples WHERE machine_id = $1 AND instance_id = $2
         ORDER BY seq LIMIT $3",
        METRICS.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
    );
    let samples: Vec<_> = tx
        .query(&sql, &[&id.0, &id.1, &compact::CONVERT_ROWS])
        .await
        .map_err(pg)?
        .iter()
        .map(|r| {
            let values: Vec<Option<f64>> = (0..METRICS.len()).map(|i| r.get(i + 3)).collect();
            compact::legacy_sample(r.get(0), r.get(1), &values, r.get(2))
        })
        .collect();
    let Some(range) = compact::seq_range(&samples) else { return Ok(0) };
    let held = chunk_seqs(&tx, key, range).await?;
    let consumed = samples.len();
    let (rows, _) = compact::convert_run(samples, &held)?;
    for c in &rows {
        let (first, last, count) = (to_time(c.ts_first), to_time(c.ts_last), c.samples as i32);
        tx.execute(
            "INSERT INTO chunks (instance, seq_first, seq_last, ts_first, ts_last, samples, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&key, &c.seq_first, &c.seq_last, &first, &last, &count, &c.body],
        )
        .await
        .map_err(pg)?;
    }
    tx.execute(
        "DELETE FROM samples WHERE machine_id = $1 AND instance_id = $2 AND seq BETWEEN $3 AND $4",
        &[&id.0, &id.1, &range.0, &range.1],
    )
    .await
    .map_err(pg)?;
    tx.commit().await.map_err(pg)?;
    state.committed(HashMap::from([(id, key)]), []);
    Ok(consumed)
}

/// Retention, given the time each resolution's window starts (raw,
/// minute, hour): partitions of chunks and rollups wholly past their
/// window are dropped; recent rows and version-1 rows older than the raw
/// window are deleted.
pub async fn retain(
    client: &mut deadpool_postgres::Object,
    state: &ChunkState,
    partitions: &Partitions,
    before: [i64; 3],
    timescale: bool,
) -> Result<(), StoreError> {
    let [raw, minute, hour] = before;
    for (table, before) in [(partition::CHUNKS, raw), (partition::MINUTES, minute), (partition::HOURS, hour)] {
        partitions.drop_before(&*client, table, before).await?;
    }
    let old = state.older_than(raw);
    let tx = client.transaction().await.map_err(pg)?;
    let mut left = Vec::new();
    for instance in old {
        tx.execute("DELETE FROM samples_recent WHERE instance = $1 AND ts < $2", &[&instance, &to_time(raw)])
            .await
            .map_err(pg)?;
        left.push((instance, remaining(&tx, instance, raw).await?));
    }
    if state.has_legacy() {
        let sql = if timescale {
            "SELECT drop_chunks('samples', older_than => $1)"
        } else {
            "DELETE FROM samples WHERE ts < $1"
        };
        tx.execute(sql, &[&to_time(raw)]).await.map_err(pg)?;
    }
    tx.commit().await.map_err(pg)?;
    state.left(left);
    state.set_raw_horizon(raw);
    Ok(())
}

/// Highest stored seq of an agent instance: recent rows, chunks and version-1 rows.
pub async fn last_seq(
    client: &impl GenericClient,
    machine_id: &str,
    instance_id: &str,
    state: &ChunkState,
) -> Result<u64, StoreError> {
    let row = client
        .query_one(
            "SELECT GREATEST(
                 (SELECT max(r.seq) FROM samples_recent r JOIN instances i ON i.key = r.instance
                  WHERE i.machine_id = $1 AND i.instance_id = $2),
                 (SELECT max(c.seq_last) FROM chunks c JOIN instances i ON i.key = c.instance
                  WHERE i.machine_id = $1 AND i.instance_id = $2))",
            &[&machine_id, &instance_id],
        )
        .await
        .map_err(pg)?;
    let mut best = row.get::<_, Option<i64>>(0).unwrap_or(0);
    if state.has_legacy() {
        let row = client
            .query_one(
                "SELECT max(seq) FROM samples WHERE machine_id = $1 AND instance_id = $2",
                &[&machine_id, &instance_id],
            )
            .await
            .map_err(pg)?;
        best = best.max(row.get::<_, Option<i64>>(0).unwrap_or(0));
    }
    Ok(best.max(0) as u64)
}

/// Points of one machine for a history plan.
pub async fn history(
    client: &impl GenericClient,
    machine_id: &str,
    plan: &Plan,
    state: &ChunkState,
) -> Result<Points, StoreError> {
    let mut gather = Gather::new(plan, state.raw_horizon());
    let instances =
        client.query("SELECT key, cpu_cores FROM instances WHERE machine_id = $1", &[&machine_id]).await.map_err(pg)?;
    for r in &instances {
        let (instance, cores): (i64, i32) = (r.get(0), r.get(1));
        let cores = cores.max(0) as u32;
        if let Some((from, to)) = gather.chunk_range() {
            let bodies = client
                .query(
                    "SELECT body FROM chunks WHERE instance = $1 AND ts_last >= $2 AND ts_first < $3",
                    &[&instance, &to_time(from), &to_time(to)],
                )
                .await
                .map_err(pg)?;
            for b in &bodies {
                gather.add_chunk(instance, cores, b.get(0))?;
            }
        }
        let (from, to) = gather.recent_range();
        let bodies = client
            .query(
                "SELECT sample FROM samples_recent WHERE instance = $1 AND ts >= $2 AND ts < $3",
                &[&instance, &to_time(from), &to_time(to)],
            )
            .await
            .map_err(pg)?;
        for b in &bodies {
            gather.add_recent(instance, cores, b.get(0))?;
        }
    }
    let (from, to) = (to_time(plan.from_ms), to_time(plan.to_ms));
    if gather.reads_legacy(state.has_legacy()) {
        let sql = history::legacy_sql(plan, EPOCH_MS, |n| format!("${n}"));
        gather.add_points(points(client, &sql, &[&machine_id, &from, &to, &plan.limit], plan).await?);
    }
    if plan.resolution != Resolution::Raw {
        let sql = history::rollup_sql(plan, EPOCH_MS, |n| format!("${n}"));
        gather.add_points(points(client, &sql, &[&machine_id, &from, &to], plan).await?);
    }
    Ok(gather.finish())
}

/// Points of a query of [`history`]'s (columns ts, weight, values).
async fn points(
    client: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    plan: &Plan,
) -> Result<Vec<Point>, StoreError> {
    let rows = client.query(sql, params).await.map_err(pg)?;
    Ok(rows
        .iter()
        .map(|r| Point {
            ts: r.get(0),
            weight: r.get(1),
            values: (0..plan.metrics.len()).map(|i| r.get::<_, Option<f64>>(i + 2).unwrap_or(0.0)).collect(),
        })
        .collect())
}

/// Rolls up version-1 wide rows (once, when upgrading: a version-1 hub
/// rolled up once a minute, so what it wrote after its last run has no
/// rollups yet).
pub async fn legacy_rollup(client: &mut deadpool_postgres::Object, partitions: &Partitions) -> Result<(), StoreError> {
    let span = client
        .query_one(
            "SELECT COALESCE((SELECT max(ts) FROM samples_1m), (SELECT min(ts) FROM samples)),
                    (SELECT max(ts) FROM samples)",
            &[],
        )
        .await
        .map_err(pg)?;
    let (Some(from), Some(to)) = (span.get::<_, Option<SystemTime>>(0), span.get::<_, Option<SystemTime>>(1)) else {
        return Ok(());
    };
    for table in [partition::MINUTES, partition::HOURS] {
        partitions.ensure(&*client, table, to_ms(from) - rollup::HOUR_MS, to_ms(to)).await?;
    }
    let statements = rollup::legacy_rollup_sql(
        "date_trunc('minute', ts)",
        "date_trunc('hour', ts)",
        "date_trunc('minute', $1::timestamptz)",
        "date_trunc('hour', $1::timestamptz)",
    );
    let tx = client.transaction().await.map_err(pg)?;
    for sql in &statements {
        tx.execute(sql, &[&from]).await.map_err(pg)?;
    }
    tx.commit().await.map_err(pg)
}

/// Every stored sample of a machine as (instance_id, seq, ts), wherever it
/// is kept (recent rows, chunks, version-1 rows), duplicates included:
/// what tests check exactly-once against.
pub async fn stored_samples(
    client: &impl GenericClient,
    machine_id: &str,
) -> Result<Vec<(String, u64, i64)>, StoreError> {
    let mut out = Vec::new();
    for r in client
        .query(
            "SELECT i.instance_id, r.seq, r.ts FROM samples_recent r JOIN instances i ON i.key = r.instance
             WHERE i.machine_id = $1
             UNION ALL SELECT instance_id, seq, ts FROM samples WHERE machine_id = $1",
            &[&machine_id],
        )
        .await
        .map_err(pg)?
    {
        out.push((r.get(0), r.get::<_, i64>(1) as u64, to_ms(r.get(2))));
    }
    for r in client
        .query(
            "SELECT i.instance_id, c.body FROM chunks c JOIN instances i ON i.key = c.instance WHERE i.machine_id = $1",
            &[&machine_id],
        )
        .await
        .map_err(pg)?
    {
        let instance: String = r.get(0);
        out.extend(
            super::chunk::decode_part(r.get(1), super::chunk::Part::Seqs)?
                .into_iter()
                .map(|s| (instance.clone(), s.seq, s.timestamp_ms)),
        );
    }
    Ok(out)
}
