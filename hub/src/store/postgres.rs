//! PostgreSQL store (deadpool-postgres). Batches go in with binary `COPY`
//! into a temporary table, then `INSERT … ON CONFLICT DO NOTHING`, so a
//! retried batch stores nothing twice. With the TimescaleDB extension,
//! samples is a hypertable with compression and the rollups are continuous
//! aggregates; without it, the hub maintains rollup tables and retention.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::{BufMut, BytesMut};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::NoTls;

use super::alert_rows::{alert_from_columns, severity_name, AlertColumns};
use super::history::{self, Plan};
use super::metrics::METRICS;
use super::migrate::{self, Migration, POSTGRES_PLAIN, POSTGRES_TIMESCALE};
use super::rows::{MachineRefresh, Row};
use super::{state_name, AlertQuery, Batch, KnownMachine, Points, Retention, Store, StoreError, RULES_INITIALIZED};
use crate::alerts::engine::Alert;
use crate::alerts::rule::Rule;
use crate::events::MachineUpdate;

/// Connections the hub keeps open.
pub const POOL_SIZE: usize = 8;
/// How long taking, creating or recycling a connection may take.
pub const POOL_TIMEOUT: Duration = Duration::from_secs(5);
/// Serialises migrations of several hubs starting at once.
const MIGRATION_LOCK: i64 = 0x5359_534d_4f4e; // "SYSMON"

pub struct PostgresStore {
    pool: Pool,
    timescale: bool,
    target: String,
    /// Earliest sample time written since the last rollup (None: nothing new).
    dirty_from: Mutex<Option<i64>>,
    refresh: MachineRefresh,
}

fn pg(error: impl std::fmt::Display) -> StoreError {
    StoreError::Postgres(error.to_string())
}

fn to_time(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)
}

fn to_ms(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// JSON text for a JSON or JSONB parameter (binary JSONB is a version byte and the text).
#[derive(Debug)]
struct JsonText<'a>(&'a str);

impl ToSql for JsonText<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        if *ty == Type::JSONB {
            out.put_u8(1);
        }
        out.put_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSON || *ty == Type::JSONB
    }

    to_sql_checked!();
}

async fn apply(client: &tokio_postgres::Client, m: &Migration) -> Result<(), StoreError> {
    let done = client
        .query_opt("SELECT version FROM schema_migrations WHERE version = $1", &[&(m.version as i32)])
        .await
        .map_err(pg)?;
    if done.is_some() {
        return Ok(());
    }
    let failed = |e: tokio_postgres::Error| StoreError::Migration {
        version: m.version,
        name: m.name,
        message: e.as_db_error().map(|d| d.message().to_owned()).unwrap_or_else(|| e.to_string()),
    };
    client.batch_execute(m.sql).await.map_err(failed)?;
    client
        .execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now()::text)",
            &[&(m.version as i32), &m.name],
        )
        .await
        .map_err(failed)?;
    Ok(())
}

impl PostgresStore {
    /// Connects, migrates (choosing TimescaleDB when available) and returns the store.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let config: tokio_postgres::Config = url.parse().map_err(|e| pg(format!("DATABASE_URL: {e}")))?;
        let target = format!(
            "postgres ({}:{}/{})",
            config.get_hosts().first().map(|h| format!("{h:?}")).unwrap_or_default(),
            config.get_ports().first().copied().unwrap_or(5432),
            config.get_dbname().unwrap_or("")
        );
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_TIMEOUT))
            .create_timeout(Some(POOL_TIMEOUT))
            .recycle_timeout(Some(POOL_TIMEOUT))
            .build()
            .map_err(pg)?;
        let client = pool.get().await.map_err(pg)?;
        client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]).await.map_err(pg)?;
        let migrated = async {
            client.batch_execute(migrate::CREATE_TABLE).await.map_err(pg)?;
            for m in migrate::POSTGRES {
                apply(&client, m).await?;
            }
            let available = client
                .query_one("SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'", &[])
                .await
                .map_err(pg)?
                .get::<_, i64>(0)
                > 0;
            let chosen = client
                .query_opt("SELECT name FROM schema_migrations WHERE version = 2", &[])
                .await
                .map_err(pg)?
                .map(|r| r.get::<_, String>(0));
            let timescale = match chosen.as_deref() {
                Some(name) => name == POSTGRES_TIMESCALE.name,
                None if available => {
                    apply(&client, &POSTGRES_TIMESCALE).await?;
                    true
                }
                None => {
                    apply(&client, &POSTGRES_PLAIN).await?;
                    false
                }
            };
            for m in migrate::POSTGRES_LATER {
                apply(&client, m).await?;
            }
            Ok::<_, StoreError>(timescale)
        }
        .await;
        client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]).await.map_err(pg)?;
        let timescale = migrated?;
        let dirty = client
            .query_one("SELECT COALESCE((SELECT max(ts) FROM samples_1m), (SELECT min(ts) FROM samples))", &[])
            .await
            .map_err(pg)?
            .get::<_, Option<SystemTime>>(0)
            .map(to_ms);
        Ok(PostgresStore { pool, timescale, target, dirty_from: Mutex::new(dirty), refresh: MachineRefresh::default() })
    }

    fn mark_dirty(&self, from: i64) {
        if let Ok(mut dirty) = self.dirty_from.lock() {
            *dirty = Some(dirty.map_or(from, |d| d.min(from)));
        }
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(pg)
    }

    async fn rollup(&self, from_ms: i64, now_ms: i64, retention: Retention) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        if self.timescale {
            for view in ["samples_1m", "samples_1h"] {
                client
                    .execute(&format!("CALL refresh_continuous_aggregate('{view}', $1, NULL)"), &[&to_time(from_ms)])
                    .await
                    .map_err(pg)?;
            }
            for (table, keep) in
                [("samples", retention.raw), ("samples_1m", retention.minute), ("samples_1h", retention.hour)]
            {
                let older_than = to_time(now_ms - keep.as_millis() as i64);
                client
                    .execute(&format!("SELECT drop_chunks('{table}', older_than => $1)"), &[&older_than])
                    .await
                    .map_err(pg)?;
            }
            return Ok(());
        }
        let tx = client.transaction().await.map_err(pg)?;
        let targets = METRICS.iter().map(|m| format!("{0}_avg, {0}_max", m.name)).collect::<Vec<_>>().join(", ");
        let updates = METRICS
            .iter()
            .map(|m| format!("{0}_avg = excluded.{0}_avg, {0}_max = excluded.{0}_max", m.name))
            .collect::<Vec<_>>()
            .join(", ");
        let minute_sources =
            METRICS.iter().map(|m| format!("avg({0}), max({0})", m.name)).collect::<Vec<_>>().join(", ");
        tx.execute(
            &format!(
                "INSERT INTO samples_1m (machine_id, ts, samples, {targets})
                 SELECT machine_id, date_trunc('minute', ts) AS bucket, count(*), {minute_sources}
                 FROM samples WHERE ts >= date_trunc('minute', $1::timestamptz) GROUP BY machine_id, bucket
                 ON CONFLICT (machine_id, ts) DO UPDATE SET samples = excluded.samples, {updates}"
            ),
            &[&to_time(from_ms)],
        )
        .await
        .map_err(pg)?;
        let hour_sources = METRICS
            .iter()
            .map(|m| format!("sum({0}_avg * samples) / sum(samples), max({0}_max)", m.name))
            .collect::<Vec<_>>()
            .join(", ");
        tx.execute(
            &format!(
                "INSERT INTO samples_1h (machine_id, ts, samples, {targets})
                 SELECT machine_id, date_trunc('hour', ts) AS bucket, sum(samples), {hour_sources}
                 FROM samples_1m WHERE ts >= date_trunc('hour', $1::timestamptz) GROUP BY machine_id, bucket
                 ON CONFLICT (machine_id, ts) DO UPDATE SET samples = excluded.samples, {updates}"
            ),
            &[&to_time(from_ms)],
        )
        .await
        .map_err(pg)?;
        for (table, keep) in
            [("samples", retention.raw), ("samples_1m", retention.minute), ("samples_1h", retention.hour)]
        {
            let older_than = to_time(now_ms - keep.as_millis() as i64);
            tx.execute(&format!("DELETE FROM {table} WHERE ts < $1"), &[&older_than]).await.map_err(pg)?;
        }
        tx.commit().await.map_err(pg)
    }
}

impl PostgresStore {
    /// Writes a batch with multi-row `INSERT … ON CONFLICT DO NOTHING`
    /// statements instead of `COPY`: the alternative the storage benchmark
    /// compares against. Not used by the hub.
    pub async fn write_with_insert(&self, batch: &Batch) -> Result<(), StoreError> {
        /// Rows per statement (PostgreSQL allows 65,535 parameters).
        const ROWS_PER_STATEMENT: usize = 1000;
        let names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
        let width = names.len() + 5;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        for chunk in batch.chunks(ROWS_PER_STATEMENT) {
            let rows: Vec<Row> = chunk.iter().map(|u| Row::new(u)).collect();
            let seqs: Vec<i64> = chunk.iter().map(|u| u.latest.seq as i64).collect();
            let times: Vec<SystemTime> = chunk.iter().map(|u| to_time(u.latest.timestamp_ms)).collect();
            let instances: Vec<&str> = chunk.iter().map(|u| &*u.instance_id).collect();
            let details: Vec<JsonText> = rows.iter().map(|r| JsonText(&r.detail)).collect();
            let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(chunk.len() * width);
            let mut tuples = Vec::with_capacity(chunk.len());
            for (i, update) in chunk.iter().enumerate() {
                let base = i * width;
                tuples
                    .push(format!("({})", (1..=width).map(|k| format!("${}", base + k)).collect::<Vec<_>>().join(",")));
                params.push(&update.summary.machine_id);
                params.push(&instances[i]);
                params.push(&seqs[i]);
                params.push(&times[i]);
                params.extend(rows[i].values.iter().map(|v| v as &(dyn ToSql + Sync)));
                params.push(&details[i]);
            }
            let sql = format!(
                "INSERT INTO samples (machine_id, instance_id, seq, ts, {}, detail) VALUES {} ON CONFLICT DO NOTHING",
                names.join(", "),
                tuples.join(",")
            );
            tx.execute(&sql, &params).await.map_err(pg)?;
        }
        // The same machines upsert as the COPY path, for a fair comparison.
        let plan = self.refresh.plan(batch);
        let machines = MachineColumns::of(plan.due.iter().map(|u| &***u))?;
        tx.execute(UPSERT_MACHINES, &machines.params()).await.map_err(pg)?;
        tx.commit().await.map_err(pg)?;
        self.refresh.committed(&plan);
        Ok(())
    }
}

/// Where a batch is copied to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    /// Straight into `samples` (fails on any duplicate).
    Samples,
    /// A temporary table, then `INSERT … ON CONFLICT DO NOTHING`.
    Staging,
}

enum CopyError {
    Duplicate,
    Other(StoreError),
}

impl CopyError {
    fn into_store(self) -> StoreError {
        match self {
            CopyError::Duplicate => StoreError::Postgres("duplicate sample in a deduplicated batch".into()),
            CopyError::Other(e) => e,
        }
    }
}

impl From<tokio_postgres::Error> for CopyError {
    fn from(e: tokio_postgres::Error) -> Self {
        if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
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

fn copy_sql(table: &str) -> String {
    let names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
    format!("COPY {table} (machine_id, instance_id, seq, ts, {}, detail) FROM STDIN BINARY", names.join(", "))
}

impl PostgresStore {
    /// One transaction: the batch's samples by binary COPY, and its machines.
    async fn copy_batch(&self, batch: &Batch, target: Target) -> Result<(), CopyError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let table = match target {
            Target::Samples => "samples",
            Target::Staging => {
                tx.batch_execute("CREATE TEMP TABLE IF NOT EXISTS samples_in (LIKE samples) ON COMMIT DELETE ROWS")
                    .await?;
                "samples_in"
            }
        };
        let sink = tx.copy_in(&copy_sql(table)).await?;
        let writer = BinaryCopyInWriter::new(sink, &copy_types());
        futures::pin_mut!(writer);
        for update in batch.iter() {
            let row = Row::new(update);
            let (seq, ts) = (update.latest.seq as i64, to_time(update.latest.timestamp_ms));
            let instance: &str = &update.instance_id;
            let detail = JsonText(&row.detail);
            let mut values: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(METRICS.len() + 5);
            values.push(&update.summary.machine_id);
            values.push(&instance);
            values.push(&seq);
            values.push(&ts);
            values.extend(row.values.iter().map(|v| v as &(dyn ToSql + Sync)));
            values.push(&detail);
            writer.as_mut().write(&values).await?;
        }
        writer.finish().await?;
        if target == Target::Staging {
            tx.execute("INSERT INTO samples SELECT * FROM samples_in ON CONFLICT DO NOTHING", &[]).await?;
        }
        let plan = self.refresh.plan(batch);
        let machines = MachineColumns::of(plan.due.iter().map(|u| &***u)).map_err(CopyError::Other)?;
        tx.execute(UPSERT_MACHINES, &machines.params()).await?;
        tx.commit().await?;
        self.refresh.committed(&plan);
        Ok(())
    }
}

fn copy_types() -> Vec<Type> {
    let mut types = vec![Type::TEXT, Type::TEXT, Type::INT8, Type::TIMESTAMPTZ];
    types.extend(METRICS.iter().map(|_| Type::FLOAT8));
    types.push(Type::JSONB);
    types
}

/// All machines of a batch in one statement (arrays, unnested).
const UPSERT_MACHINES: &str = "INSERT INTO machines
    (machine_id, hostname, os, kernel, arch, cpu_model, cpu_cores, memory_total, first_seen, last_seen, latest)
    SELECT m, h, o, k, a, c, n, t, s, s, l::jsonb
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::bigint[],
                $9::timestamptz[], $10::text[]) AS u(m, h, o, k, a, c, n, t, s, l)
    ON CONFLICT (machine_id) DO UPDATE SET
        hostname = excluded.hostname, os = excluded.os, kernel = excluded.kernel, arch = excluded.arch,
        cpu_model = excluded.cpu_model, cpu_cores = excluded.cpu_cores, memory_total = excluded.memory_total,
        latest = CASE WHEN excluded.last_seen >= machines.last_seen THEN excluded.latest ELSE machines.latest END,
        last_seen = GREATEST(machines.last_seen, excluded.last_seen)";

/// Column arrays of the machines in a batch, for [`UPSERT_MACHINES`].
#[derive(Default)]
struct MachineColumns {
    ids: Vec<String>,
    hostnames: Vec<String>,
    oses: Vec<String>,
    kernels: Vec<String>,
    arches: Vec<String>,
    cpu_models: Vec<String>,
    cores: Vec<i32>,
    memory: Vec<i64>,
    seen: Vec<SystemTime>,
    latest: Vec<String>,
}

impl MachineColumns {
    fn of<'a>(rows: impl Iterator<Item = &'a MachineUpdate>) -> Result<Self, StoreError> {
        let mut c = MachineColumns::default();
        for update in rows {
            let h = &update.host;
            c.ids.push(update.summary.machine_id.clone());
            c.hostnames.push(h.hostname.clone());
            c.oses.push(h.os.clone());
            c.kernels.push(h.kernel.clone());
            c.arches.push(h.arch.clone());
            c.cpu_models.push(h.cpu_model.clone());
            c.cores.push(h.cpu_cores as i32);
            c.memory.push(h.memory_total as i64);
            c.seen.push(to_time(update.summary.last_seen));
            c.latest.push(serde_json::to_string(&*update.latest).map_err(|e| StoreError::Corrupt(e.to_string()))?);
        }
        Ok(c)
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 10] {
        [
            &self.ids,
            &self.hostnames,
            &self.oses,
            &self.kernels,
            &self.arches,
            &self.cpu_models,
            &self.cores,
            &self.memory,
            &self.seen,
            &self.latest,
        ]
    }
}

#[async_trait]
impl Store for PostgresStore {
    fn describe(&self) -> String {
        if self.timescale {
            format!("{} + timescaledb", self.target)
        } else {
            self.target.clone()
        }
    }

    async fn write(&self, batch: std::sync::Arc<Batch>) -> Result<(), StoreError> {
        let Some(earliest) = batch.iter().map(|u| u.latest.timestamp_ms).min() else { return Ok(()) };
        // Straight COPY into samples is the fast path; a batch holding a
        // sample already stored (a resend after a crash) fails as a whole
        // with a unique violation and goes again through the deduplicating path.
        match self.copy_batch(&batch, Target::Samples).await {
            Err(CopyError::Duplicate) => {
                self.copy_batch(&batch, Target::Staging).await.map_err(CopyError::into_store)?
            }
            other => other.map_err(CopyError::into_store)?,
        }
        self.mark_dirty(earliest);
        Ok(())
    }

    async fn sync_machines(&self) -> Result<(), StoreError> {
        let stale = self.refresh.take_stale();
        if stale.is_empty() {
            return Ok(());
        }
        let machines = MachineColumns::of(stale.iter().map(|u| &**u))?;
        self.client().await?.execute(UPSERT_MACHINES, &machines.params()).await.map_err(pg)?;
        Ok(())
    }

    async fn last_seq(&self, machine_id: &str, instance_id: &str) -> Result<u64, StoreError> {
        let row = self
            .client()
            .await?
            .query_one(
                "SELECT max(seq) FROM samples WHERE machine_id = $1 AND instance_id = $2",
                &[&machine_id, &instance_id],
            )
            .await
            .map_err(pg)?;
        Ok(row.get::<_, Option<i64>>(0).unwrap_or(0).max(0) as u64)
    }

    async fn known_machines(&self) -> Result<Vec<KnownMachine>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT machine_id, hostname, os, kernel, arch, cpu_model, cpu_cores, memory_total, last_seen, latest::text
                 FROM machines ORDER BY machine_id",
                &[],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let latest = match r.get::<_, Option<String>>(9) {
                    Some(json) => serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    None => Default::default(),
                };
                Ok(KnownMachine {
                    machine_id: r.get(0),
                    host: sysmonstm_protocol::model::HostInfo {
                        hostname: r.get(1),
                        os: r.get(2),
                        kernel: r.get(3),
                        arch: r.get(4),
                        cpu_model: r.get(5),
                        cpu_cores: r.get::<_, i32>(6).max(0) as u32,
                        memory_total: r.get::<_, i64>(7).max(0) as u64,
                        boot_time_ms: 0,
                    },
                    latest,
                    last_seen: to_ms(r.get(8)),
                })
            })
            .collect()
    }

    async fn has_machine(&self, machine_id: &str) -> Result<bool, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt("SELECT 1 FROM machines WHERE machine_id = $1", &[&machine_id])
            .await
            .map_err(pg)?;
        Ok(row.is_some())
    }

    async fn history(&self, machine_id: &str, plan: &Plan) -> Result<Points, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                &history::select_sql(plan, "(extract(epoch FROM ts) * 1000)::bigint", |n| format!("${n}")),
                &[&machine_id, &to_time(plan.from_ms), &to_time(plan.to_ms), &plan.limit],
            )
            .await
            .map_err(pg)?;
        Ok(rows
            .iter()
            .map(|r| (r.get::<_, i64>(0), (1..=plan.metrics.len()).map(|i| r.get::<_, Option<f64>>(i)).collect()))
            .collect())
    }

    async fn maintain(&self, now_ms: i64, retention: Retention) -> Result<(), StoreError> {
        let from = self.dirty_from.lock().ok().and_then(|mut d| d.take());
        let result = self.rollup(from.unwrap_or(now_ms), now_ms, retention).await;
        if let (Err(_), Some(from)) = (&result, from) {
            self.mark_dirty(from);
        }
        result
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.client().await?.query_one("SELECT 1", &[]).await.map_err(pg)?;
        Ok(())
    }

    async fn rules_or_defaults(&self, defaults: Vec<Rule>) -> Result<Vec<Rule>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        let inserted = tx
            .execute(
                "INSERT INTO hub_settings (key, value) VALUES ($1, 'true') ON CONFLICT (key) DO NOTHING",
                &[&RULES_INITIALIZED],
            )
            .await
            .map_err(pg)?;
        if inserted == 1 {
            for rule in &defaults {
                put_rule_sql(&tx, rule).await?;
            }
        }
        let rows = tx.query("SELECT rule::text FROM alert_rules ORDER BY created_at, id", &[]).await.map_err(pg)?;
        let rules = rows
            .iter()
            .map(|r| serde_json::from_str(r.get::<_, &str>(0)).map_err(|e| StoreError::Corrupt(format!("rule: {e}"))))
            .collect::<Result<Vec<Rule>, _>>()?;
        tx.commit().await.map_err(pg)?;
        Ok(rules)
    }

    async fn put_rule(&self, rule: &Rule) -> Result<(), StoreError> {
        let client = self.client().await?;
        put_rule_sql(&client, rule).await
    }

    async fn delete_rule(&self, id: &str) -> Result<(), StoreError> {
        self.client().await?.execute("DELETE FROM alert_rules WHERE id = $1", &[&id]).await.map_err(pg)?;
        Ok(())
    }

    async fn put_alert(&self, alert: &Alert) -> Result<(), StoreError> {
        let top = serde_json::to_string(&alert.top_processes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.client()
            .await?
            .execute(
                "INSERT INTO alert_events (id, rule_id, rule_name, machine_id, severity, state, value, threshold,
                     started_at, resolved_at, top_processes)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text::jsonb)
                 ON CONFLICT (id) DO UPDATE SET state = excluded.state, value = excluded.value,
                     resolved_at = excluded.resolved_at",
                &[
                    &alert.id,
                    &alert.rule_id,
                    &alert.rule_name,
                    &alert.machine_id,
                    &severity_name(alert.severity),
                    &state_name(alert.state),
                    &alert.value,
                    &alert.threshold,
                    &to_time(alert.started_at),
                    &alert.resolved_at.map(to_time),
                    &top,
                ],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn alerts(&self, query: &AlertQuery) -> Result<Vec<Alert>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT id, rule_id, rule_name, machine_id, severity, state, value, threshold, started_at,
                        resolved_at, top_processes::text
                 FROM alert_events
                 WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR machine_id = $2)
                   AND ($3::timestamptz IS NULL OR started_at >= $3)
                 ORDER BY started_at DESC, id LIMIT $4",
                &[&query.state.map(state_name), &query.machine, &query.since.map(to_time), &query.limit],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                alert_from_columns(AlertColumns {
                    id: r.get(0),
                    rule_id: r.get(1),
                    rule_name: r.get(2),
                    machine_id: r.get(3),
                    severity: r.get(4),
                    state: r.get(5),
                    value: r.get(6),
                    threshold: r.get(7),
                    started_at: to_ms(r.get(8)),
                    resolved_at: r.get::<_, Option<SystemTime>>(9).map(to_ms),
                    top_processes: r.get(10),
                })
            })
            .collect()
    }
}

async fn put_rule_sql(client: &impl deadpool_postgres::GenericClient, rule: &Rule) -> Result<(), StoreError> {
    let json = serde_json::to_string(rule).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    client
        .execute(
            "INSERT INTO alert_rules (id, name, metric, enabled, version, created_at, updated_at, rule)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, metric = excluded.metric,
                 enabled = excluded.enabled, version = excluded.version, updated_at = excluded.updated_at,
                 rule = excluded.rule",
            &[
                &rule.id,
                &rule.name,
                &rule.metric,
                &rule.enabled,
                &(rule.version as i64),
                &to_time(rule.created_at),
                &to_time(rule.updated_at),
                &json,
            ],
        )
        .await
        .map_err(pg)?;
    Ok(())
}
