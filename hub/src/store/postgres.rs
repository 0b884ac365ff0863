//! PostgreSQL store (deadpool-postgres). Batches go in as recent rows
//! with binary `COPY`; a batch holding a sample already stored goes again
//! through a temporary table and `INSERT … ON CONFLICT DO NOTHING`, so a
//! retried batch stores nothing twice. Recent rows are sealed into chunks
//! (bytea) with their rollups, in time partitions that retention drops
//! whole ([`super::postgres_chunks`]); the same with or without TimescaleDB.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::types::ToSql;
use tokio_postgres::NoTls;

use super::budget::{Freed, StoreUsage};
use super::compact::{ChunkState, Sealed};
use super::history::Plan;
use super::migrate::{self, Migration, POSTGRES_PLAIN, POSTGRES_TIMESCALE};
use super::postgres_chunks::{self as chunks, pg, to_ms, to_time, CopyError, Partitions, Target};
use super::postgres_tokens;
use super::postgres_usage;
use super::rows::MachineRefresh;
use super::token_rows::{labels_json, labels_of};
use super::{alert_rows, channel_rows, silence_rows};
use super::{
    seal, AlertQuery, Batch, KnownMachine, Points, Retention, Store, StoreError, StoreOptions, RULES_INITIALIZED,
};
use crate::agent_tokens::AgentToken;
use crate::alerts::channel::Channel;
use crate::alerts::delivery::Delivery;
use crate::alerts::engine::Alert;
use crate::alerts::rule::Rule;
use crate::alerts::silence::Silence;
use crate::events::MachineUpdate;
use crate::machine_settings::MachineSettings;

/// Connections the hub keeps open.
pub const POOL_SIZE: usize = 8;
/// How long taking, creating or recycling a connection may take.
pub const POOL_TIMEOUT: Duration = Duration::from_secs(5);
/// Serialises migrations of several hubs starting at once.
const MIGRATION_LOCK: i64 = 0x5359_534d_4f4e; // "SYSMON"

/// How often a hub looks for recent rows other hubs left unsealed.
const RELOAD_PENDING: Duration = Duration::from_secs(600);
/// Partitions are made this far ahead of the present, so sealing
/// seldom has to make one.
const PARTITIONS_AHEAD: Duration = Duration::from_secs(86_400);
/// The migration that brought compact history.
const CHUNKS_VERSION: i32 = 4;

pub struct PostgresStore {
    pool: Pool,
    timescale: bool,
    target: String,
    refresh: MachineRefresh,
    chunks: Arc<ChunkState>,
    partitions: Partitions,
    /// When pending rows were last looked for (ms).
    reloaded: AtomicI64,
    /// Bytes used after the last `--max-disk` check.
    used_after: std::sync::atomic::AtomicU64,
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
    /// Connects with default options (see [`PostgresStore::connect_with`]).
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        PostgresStore::connect_with(url, StoreOptions::default()).await
    }

    /// Connects, migrates (choosing TimescaleDB when available) and returns the store.
    pub async fn connect_with(url: &str, options: StoreOptions) -> Result<PostgresStore, StoreError> {
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
        let mut client = pool.get().await.map_err(pg)?;
        client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]).await.map_err(pg)?;
        let partitions = Partitions::default();
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
            let upgrading = client
                .query_opt("SELECT 1 FROM schema_migrations WHERE version = $1", &[&CHUNKS_VERSION])
                .await
                .map_err(pg)?
                .is_none();
            for m in migrate::POSTGRES_LATER {
                apply(&client, m).await?;
            }
            if upgrading {
                chunks::legacy_rollup(&mut client, &partitions).await?;
            }
            Ok::<_, StoreError>(timescale)
        }
        .await;
        client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]).await.map_err(pg)?;
        let timescale = migrated?;
        let chunks = chunks::load_state(&client, options.compact_after).await?;
        Ok(PostgresStore {
            pool,
            timescale,
            target,
            refresh: MachineRefresh::default(),
            chunks: Arc::new(chunks),
            partitions,
            reloaded: AtomicI64::new(crate::now_ms()),
            used_after: 0.into(),
        })
    }

    /// Instances with samples not sealed yet (for tests and stats).
    pub fn unsealed_instances(&self) -> usize {
        self.chunks.pending_instances()
    }

    /// Every stored sample of a machine (see [`chunks::stored_samples`]).
    pub async fn stored_samples(&self, machine_id: &str) -> Result<Vec<(String, u64, i64)>, StoreError> {
        chunks::stored_samples(&self.client().await?, machine_id).await
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(pg)
    }

    /// Seals every instance due at `now`, a bounded group per transaction.
    async fn seal_due(&self, now_ms: i64) -> Result<Sealed, StoreError> {
        let due = self.chunks.due(now_ms);
        let mut done = Sealed::default();
        for group in seal::groups(&due) {
            let mut client = self.client().await?;
            done += chunks::seal(&mut client, group, &self.chunks, &self.partitions).await?;
        }
        Ok(done)
    }
}

impl PostgresStore {
    /// One transaction: the batch's samples by binary COPY, and its machines.
    async fn copy_batch(&self, batch: &Batch, target: Target) -> Result<(), CopyError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let copied = chunks::copy_recent(&tx, &self.chunks, batch, target).await?;
        let plan = self.refresh.plan(batch);
        let machines = MachineColumns::of(plan.due.iter().map(|u| &***u)).map_err(CopyError::Other)?;
        tx.execute(UPSERT_MACHINES, &machines.params()).await?;
        tx.commit().await?;
        self.refresh.committed(&plan);
        self.chunks.committed(copied.made, copied.written);
        Ok(())
    }
}

/// All machines of a batch in one statement (arrays, unnested).
const UPSERT_MACHINES: &str = "INSERT INTO machines
    (machine_id, hostname, os, kernel, arch, cpu_model, cpu_cores, memory_total, first_seen, last_seen, latest, labels)
    SELECT m, h, o, k, a, c, n, t, s, s, l::jsonb, g::jsonb
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::bigint[],
                $9::timestamptz[], $10::text[], $11::text[]) AS u(m, h, o, k, a, c, n, t, s, l, g)
    ON CONFLICT (machine_id) DO UPDATE SET
        hostname = excluded.hostname, os = excluded.os, kernel = excluded.kernel, arch = excluded.arch,
        labels = excluded.labels,
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
    labels: Vec<String>,
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
            c.labels.push(labels_json(&h.labels)?);
        }
        Ok(c)
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 11] {
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
            &self.labels,
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
        if batch.is_empty() {
            return Ok(());
        }
        // Straight COPY into the recent rows is the fast path; a batch holding a
        // sample already stored (a resend after a crash) fails as a whole
        // with a unique violation and goes again through the deduplicating path.
        match self.copy_batch(&batch, Target::Recent).await {
            Err(CopyError::Duplicate) => {
                self.copy_batch(&batch, Target::Staging).await.map_err(CopyError::into_store)?
            }
            other => other.map_err(CopyError::into_store)?,
        }
        Ok(())
    }

    async fn convert_legacy(&self) -> Result<usize, StoreError> {
        chunks::convert_legacy(&mut self.client().await?, &self.chunks, &self.partitions).await
    }

    async fn seal(&self, now_ms: i64) -> Result<usize, StoreError> {
        Ok(self.seal_due(now_ms).await?.samples)
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
        chunks::last_seq(&self.client().await?, machine_id, instance_id, &self.chunks).await
    }

    async fn known_machines(&self) -> Result<Vec<KnownMachine>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT m.machine_id, hostname, os, kernel, arch, cpu_model, cpu_cores, memory_total, last_seen,
                        latest::text, m.labels::text, s.labels::text, s.display_name, s.interval_ms
                 FROM machines m LEFT JOIN machine_settings s ON s.machine_id = m.machine_id
                 ORDER BY m.machine_id",
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
                        labels: labels_of(r.get(10)),
                    },
                    latest,
                    last_seen: to_ms(r.get(8)),
                    settings: MachineSettings {
                        labels: r.get::<_, Option<&str>>(11).map(labels_of).unwrap_or_default(),
                        display_name: r.get(12),
                        interval: MachineSettings::interval_from_ms(r.get(13)),
                    },
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
        chunks::history(&self.client().await?, machine_id, plan, &self.chunks).await
    }

    async fn maintain(&self, now_ms: i64, retention: Retention) -> Result<Freed, StoreError> {
        let client = self.client().await?;
        if now_ms - self.reloaded.load(Ordering::Relaxed) >= RELOAD_PENDING.as_millis() as i64 {
            chunks::reload_pending(&client, &self.chunks).await?;
            self.reloaded.store(now_ms, Ordering::Relaxed);
        }
        self.partitions.ensure_all(&client, now_ms, now_ms + PARTITIONS_AHEAD.as_millis() as i64).await?;
        drop(client);
        self.seal_due(now_ms).await?;
        let before = [retention.raw, retention.minute, retention.hour].map(|keep| now_ms - keep.as_millis() as i64);
        let mut client = self.client().await?;
        chunks::retain(&mut client, &self.chunks, &self.partitions, before, self.timescale).await?;
        let Some(limit) = retention.max_disk else { return Ok(Freed::default()) };
        let previous = Some(self.used_after.load(Ordering::Relaxed)).filter(|&b| b > 0);
        let freed = postgres_usage::free_space(&client, &self.partitions, limit, previous, now_ms).await?;
        self.used_after.store(freed.after, Ordering::Relaxed);
        Ok(freed)
    }

    async fn usage(&self) -> Result<StoreUsage, StoreError> {
        postgres_usage::usage(&self.client().await?, self.chunks.oldest_pending()).await
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
        alert_rows::postgres_put(&self.client().await?, alert).await
    }

    async fn machine_settings(&self) -> Result<Vec<(String, MachineSettings)>, StoreError> {
        let rows = self
            .client()
            .await?
            .query("SELECT machine_id, labels::text, display_name, interval_ms FROM machine_settings", &[])
            .await
            .map_err(pg)?;
        Ok(rows
            .iter()
            .map(|r| {
                let interval = MachineSettings::interval_from_ms(r.get(3));
                (r.get(0), MachineSettings { labels: labels_of(r.get(1)), display_name: r.get(2), interval })
            })
            .collect())
    }

    async fn put_machine_settings(&self, machine_id: &str, settings: &MachineSettings) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute(
                "INSERT INTO machine_settings (machine_id, labels, display_name, interval_ms, updated_at)
                 VALUES ($1, $2::text::jsonb, $3, $4, $5)
                 ON CONFLICT (machine_id) DO UPDATE SET labels = excluded.labels,
                     display_name = excluded.display_name, interval_ms = excluded.interval_ms,
                     updated_at = excluded.updated_at",
                &[
                    &machine_id,
                    &labels_json(&settings.labels)?,
                    &settings.display_name,
                    &settings.interval_ms(),
                    &crate::now_ms(),
                ],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn forget_machine(&self, machine_id: &str, purge_history: bool) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        for statement in super::forget::statements(purge_history) {
            tx.execute(statement, &[&machine_id]).await.map_err(pg)?;
        }
        tx.commit().await.map_err(pg)?;
        self.refresh.forget(machine_id);
        if purge_history {
            self.chunks.forget_machine(machine_id);
        }
        Ok(())
    }

    async fn put_audit(&self, entry: &crate::audit::AuditEntry) -> Result<(), StoreError> {
        super::audit_log::postgres_insert(&self.client().await?, entry).await
    }

    async fn audit(&self, query: &crate::audit::AuditQuery) -> Result<Vec<crate::audit::AuditEntry>, StoreError> {
        super::audit_log::postgres_list(&self.client().await?, query).await
    }

    async fn agent_tokens(&self) -> Result<Vec<AgentToken>, StoreError> {
        postgres_tokens::list(&self.client().await?).await
    }

    async fn put_agent_token(&self, token: &AgentToken) -> Result<(), StoreError> {
        postgres_tokens::insert(&self.client().await?, token).await
    }

    async fn revoke_agent_token(&self, id: &str, at_ms: i64) -> Result<Option<AgentToken>, StoreError> {
        postgres_tokens::revoke(&self.client().await?, id, at_ms).await
    }

    async fn alerts(&self, query: &AlertQuery) -> Result<Vec<Alert>, StoreError> {
        alert_rows::postgres_list(&self.client().await?, query).await
    }

    async fn channels(&self) -> Result<Vec<Channel>, StoreError> {
        channel_rows::postgres_list(&self.client().await?).await
    }

    async fn put_channel(&self, channel: &Channel) -> Result<(), StoreError> {
        channel_rows::postgres_put(&self.client().await?, channel).await
    }

    async fn delete_channel(&self, id: &str) -> Result<(), StoreError> {
        channel_rows::postgres_delete(&self.client().await?, id).await
    }

    async fn put_delivery(&self, delivery: &Delivery) -> Result<(), StoreError> {
        channel_rows::postgres_put_delivery(&self.client().await?, delivery).await
    }

    async fn deliveries(&self, alert_id: &str) -> Result<Vec<Delivery>, StoreError> {
        channel_rows::postgres_deliveries(&self.client().await?, alert_id).await
    }

    async fn silences(&self) -> Result<Vec<Silence>, StoreError> {
        silence_rows::postgres_list(&self.client().await?).await
    }

    async fn put_silence(&self, silence: &Silence) -> Result<(), StoreError> {
        silence_rows::postgres_put(&self.client().await?, silence).await
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
