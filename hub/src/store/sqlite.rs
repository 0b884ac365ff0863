//! The embedded default store: SQLite (rusqlite, bundled) in the data
//! directory, WAL mode. One connection writes, on a thread of its own at a
//! lower priority ([`WriterThread`]); another reads, behind a mutex on
//! tokio's blocking pool. Nothing blocks an actor.
//! History is kept compact ([`super::sqlite_chunks`]): recent rows, then
//! sealed chunks with their rollups; retention by the hub ([`Store::maintain`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

use super::budget::{Freed, StoreUsage, TableUsage};
use super::compact::{ChunkState, Sealed};
use super::history::Plan;
use super::migrate::{self, Migration};
use super::rollup::{self, HOUR_MS, MINUTE_MS};
use super::rows::MachineRefresh;
use super::seal;
use super::sqlite_chunks;
use super::sqlite_tokens;
use super::sqlite_usage;
use super::sqlite_writer::WriterThread;
use super::token_rows::{labels_json, labels_of};
use super::{alert_rows, channel_rows, silence_rows};
use super::{AlertQuery, Batch, KnownMachine, Points, Retention, Store, StoreError, StoreOptions, RULES_INITIALIZED};
use crate::agent_tokens::AgentToken;
use crate::alerts::channel::Channel;
use crate::alerts::delivery::Delivery;
use crate::alerts::engine::Alert;
use crate::alerts::rule::Rule;
use crate::alerts::silence::Silence;
use crate::events::MachineUpdate;
use crate::machine_settings::MachineSettings;

/// The database file inside the data directory.
pub const FILE_NAME: &str = "sysmonstm.db";
/// How long a statement waits for a lock held by the other connection.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Page cache of the writer connection (KiB).
const SQLITE_WRITER_CACHE_KIB: i64 = 48 * 1024;
/// WAL pages between automatic checkpoints (4 KiB each: 64 MiB).
const SQLITE_CHECKPOINT_PAGES: i64 = 16_384;

pub struct SqliteStore {
    path: PathBuf,
    writer: Arc<WriterThread>,
    reader: Arc<Mutex<Connection>>,
    refresh: Arc<MachineRefresh>,
    chunks: Arc<ChunkState>,
    /// Bytes used after the last `--max-disk` check.
    used_after: std::sync::atomic::AtomicU64,
    /// Per-table sizes as last measured, and when (ms).
    table_sizes: Arc<Mutex<(i64, Vec<TableUsage>)>>,
}

/// How often per-table sizes are measured again (`dbstat` walks every page).
const TABLE_SIZES_INTERVAL_MS: i64 = 600_000;

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Before anything writes the file's first page: a new database returns
    // pages freed for --max-disk to the file system.
    sqlite_usage::prepare_new(&conn)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Checkpoint less often: a page dirtied by several batches is copied
    // into the database once per checkpoint, not once per batch.
    conn.pragma_update(None, "wal_autocheckpoint", SQLITE_CHECKPOINT_PAGES)?;
    Ok(conn)
}

fn apply_migrations(conn: &mut Connection, migrations: &[Migration]) -> Result<(), StoreError> {
    conn.execute(migrate::CREATE_TABLE, [])?;
    for m in migrations {
        let done: Option<u32> = conn
            .query_row("SELECT version FROM schema_migrations WHERE version = ?1", [m.version], |r| r.get(0))
            .optional()?;
        if done.is_some() {
            continue;
        }
        let failed =
            |e: rusqlite::Error| StoreError::Migration { version: m.version, name: m.name, message: e.to_string() };
        let tx = conn.transaction()?;
        tx.execute_batch(m.sql).map_err(failed)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, datetime('now'))",
            params![m.version, m.name],
        )
        .map_err(failed)?;
        tx.commit()?;
    }
    Ok(())
}

/// Runs `work` on the blocking pool with the connection locked.
async fn with<T: Send + 'static>(
    conn: &Arc<Mutex<Connection>>,
    work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let conn = conn.clone();
    tokio::task::spawn_blocking(move || {
        let mut guard = conn.lock().map_err(|_| StoreError::Worker("connection lock poisoned".into()))?;
        work(&mut guard)
    })
    .await
    .map_err(|e| StoreError::Worker(e.to_string()))?
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database at `path`, with default options.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(path, StoreOptions::default()).await
    }

    /// Opens (creating if needed) and migrates the database at `path`.
    pub async fn open_with(path: &Path, options: StoreOptions) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let owned = path.to_path_buf();
        let (writer, reader, chunks) = tokio::task::spawn_blocking(move || -> Result<_, StoreError> {
            let mut writer = connect(&owned)?;
            // Thousands of machines insert at scattered places of the recent
            // rows' key: keep their pages in memory rather than re-reading them.
            writer.pragma_update(None, "cache_size", -SQLITE_WRITER_CACHE_KIB)?;
            let upgrading = !applied(&writer, CHUNKS_VERSION)?;
            apply_migrations(&mut writer, migrate::SQLITE)?;
            if upgrading {
                // A version-1 hub rolled up once a minute: samples it wrote
                // after its last run have no rollups yet.
                let dirty: Option<i64> = writer.query_row(
                    "SELECT COALESCE((SELECT max(ts) FROM samples_1m), (SELECT min(ts) FROM samples))",
                    [],
                    |r| r.get(0),
                )?;
                if let Some(from) = dirty {
                    legacy_rollup(&mut writer, from)?;
                }
            }
            let chunks = sqlite_chunks::load_state(&writer, options.compact_after)?;
            let reader = connect(&owned)?;
            Ok((writer, reader, chunks))
        })
        .await
        .map_err(|e| StoreError::Worker(e.to_string()))??;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            writer: Arc::new(WriterThread::start(writer)?),
            reader: Arc::new(Mutex::new(reader)),
            refresh: Arc::new(MachineRefresh::default()),
            chunks: Arc::new(chunks),
            used_after: 0.into(),
            table_sizes: Arc::new(Mutex::new((0, Vec::new()))),
        })
    }

    /// Instances with samples not sealed yet (for tests and stats).
    pub fn unsealed_instances(&self) -> usize {
        self.chunks.pending_instances()
    }
}

/// The migration that brought compact history.
const CHUNKS_VERSION: u32 = 3;

/// Whether migration `version` was applied (before migrating).
fn applied(conn: &Connection, version: u32) -> Result<bool, StoreError> {
    let table: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')",
        [],
        |r| r.get(0),
    )?;
    if !table {
        return Ok(false);
    }
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)", [version], |r| r.get(0))?)
}

const UPSERT_MACHINE: &str = "INSERT INTO machines
    (machine_id, hostname, os, kernel, arch, cpu_model, cpu_cores, memory_total, first_seen, last_seen, latest, labels)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11)
    ON CONFLICT (machine_id) DO UPDATE SET
        hostname = excluded.hostname, os = excluded.os, kernel = excluded.kernel, arch = excluded.arch,
        labels = excluded.labels,
        cpu_model = excluded.cpu_model, cpu_cores = excluded.cpu_cores, memory_total = excluded.memory_total,
        latest = CASE WHEN excluded.last_seen >= machines.last_seen THEN excluded.latest ELSE machines.latest END,
        last_seen = max(machines.last_seen, excluded.last_seen)";

/// Writes machine rows (host info, last seen, latest sample).
fn upsert_machines<'a>(
    tx: &rusqlite::Transaction,
    updates: impl Iterator<Item = &'a MachineUpdate>,
) -> Result<(), StoreError> {
    let mut upsert = tx.prepare_cached(UPSERT_MACHINE)?;
    for update in updates {
        let h = &update.host;
        let latest = serde_json::to_string(&*update.latest).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let labels = labels_json(&h.labels)?;
        upsert.execute(params![
            update.machine_id(),
            h.hostname,
            h.os,
            h.kernel,
            h.arch,
            h.cpu_model,
            h.cpu_cores,
            h.memory_total as i64,
            update.summary.last_seen,
            latest,
            labels
        ])?;
    }
    Ok(())
}

/// Rolls up version-1 wide rows from `from_ms` (once, when upgrading).
fn legacy_rollup(conn: &mut Connection, from_ms: i64) -> Result<(), StoreError> {
    let minute = format!("(ts / {MINUTE_MS}) * {MINUTE_MS}");
    let hour = format!("(ts / {HOUR_MS}) * {HOUR_MS}");
    let statements = rollup::legacy_rollup_sql(&minute, &hour, "?1", "?1");
    let tx = conn.transaction()?;
    tx.execute(&statements[0], [from_ms.div_euclid(MINUTE_MS) * MINUTE_MS])?;
    tx.execute(&statements[1], [from_ms.div_euclid(HOUR_MS) * HOUR_MS])?;
    tx.commit()?;
    Ok(())
}

impl SqliteStore {
    /// Seals every instance due at `now`, a bounded group per transaction
    /// (batch writes queued meanwhile go in between).
    async fn seal_due(&self, now_ms: i64) -> Result<Sealed, StoreError> {
        let due = self.chunks.due(now_ms);
        let mut done = Sealed::default();
        for group in seal::groups(&due) {
            let (group, chunks) = (group.to_vec(), self.chunks.clone());
            done += self.writer.run(move |conn| sqlite_chunks::seal(conn, &group, &chunks)).await?;
        }
        Ok(done)
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn describe(&self) -> String {
        format!("sqlite ({})", self.path.display())
    }

    async fn write(&self, batch: Arc<Batch>) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let (refresh, chunks) = (self.refresh.clone(), self.chunks.clone());
        self.writer
            .run(move |conn| {
                sqlite_chunks::write_batch(conn, &batch, &refresh, &chunks, |tx, due| {
                    upsert_machines(tx, due.iter().map(|u| &***u))
                })
            })
            .await
    }

    async fn convert_legacy(&self) -> Result<usize, StoreError> {
        let chunks = self.chunks.clone();
        self.writer.run(move |conn| sqlite_chunks::convert_legacy(conn, &chunks)).await
    }

    async fn seal(&self, now_ms: i64) -> Result<usize, StoreError> {
        Ok(self.seal_due(now_ms).await?.samples)
    }

    async fn sync_machines(&self) -> Result<(), StoreError> {
        let stale = self.refresh.take_stale();
        self.writer
            .run(move |conn| {
                let tx = conn.transaction()?;
                upsert_machines(&tx, stale.iter().map(|u| &**u))?;
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn last_seq(&self, machine_id: &str, instance_id: &str) -> Result<u64, StoreError> {
        let (m, i, chunks) = (machine_id.to_owned(), instance_id.to_owned(), self.chunks.clone());
        with(&self.reader, move |conn| sqlite_chunks::last_seq(conn, &m, &i, &chunks)).await
    }

    async fn known_machines(&self) -> Result<Vec<KnownMachine>, StoreError> {
        with(&self.reader, |conn| {
            let mut stmt = conn.prepare(
                "SELECT m.machine_id, hostname, os, kernel, arch, cpu_model, cpu_cores, memory_total, last_seen, latest,
                        m.labels, s.labels, s.display_name, s.interval_ms
                 FROM machines m LEFT JOIN machine_settings s ON s.machine_id = m.machine_id
                 ORDER BY m.machine_id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    sysmonstm_protocol::model::HostInfo {
                        hostname: r.get(1)?,
                        os: r.get(2)?,
                        kernel: r.get(3)?,
                        arch: r.get(4)?,
                        cpu_model: r.get(5)?,
                        cpu_cores: r.get(6)?,
                        memory_total: r.get::<_, i64>(7)?.max(0) as u64,
                        boot_time_ms: 0,
                        labels: labels_of(&r.get::<_, String>(10)?),
                    },
                    r.get::<_, i64>(8)?,
                    r.get::<_, Option<String>>(9)?,
                    MachineSettings {
                        labels: r.get::<_, Option<String>>(11)?.map(|j| labels_of(&j)).unwrap_or_default(),
                        display_name: r.get(12)?,
                        interval: MachineSettings::interval_from_ms(r.get(13)?),
                    },
                ))
            })?;
            let mut machines = Vec::new();
            for row in rows {
                let (machine_id, host, last_seen, latest, settings) = row?;
                let latest = match latest {
                    Some(json) => serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    None => Default::default(),
                };
                machines.push(KnownMachine { machine_id, host, latest, last_seen, settings });
            }
            Ok(machines)
        })
        .await
    }

    async fn has_machine(&self, machine_id: &str) -> Result<bool, StoreError> {
        let m = machine_id.to_owned();
        with(&self.reader, move |conn| {
            Ok(conn.query_row("SELECT 1 FROM machines WHERE machine_id = ?1", [m], |_| Ok(())).optional()?.is_some())
        })
        .await
    }

    async fn history(&self, machine_id: &str, plan: &Plan) -> Result<Points, StoreError> {
        let (m, plan, chunks) = (machine_id.to_owned(), plan.clone(), self.chunks.clone());
        with(&self.reader, move |conn| sqlite_chunks::history(conn, &m, &plan, &chunks)).await
    }

    async fn maintain(&self, now_ms: i64, retention: Retention) -> Result<Freed, StoreError> {
        use std::sync::atomic::Ordering;
        self.seal_due(now_ms).await?;
        let (chunks, path) = (self.chunks.clone(), self.path.clone());
        let previous = Some(self.used_after.load(Ordering::Relaxed)).filter(|&b| b > 0);
        let freed = self
            .writer
            .run(move |conn| {
                sqlite_chunks::drop_raw_before(conn, now_ms - retention.raw.as_millis() as i64, &chunks)?;
                for (table, keep) in [("samples_1m", retention.minute), ("samples_1h", retention.hour)] {
                    conn.execute(&format!("DELETE FROM {table} WHERE ts < ?1"), [now_ms - keep.as_millis() as i64])?;
                }
                match retention.max_disk {
                    Some(limit) => sqlite_usage::free_space(conn, &path, limit, previous),
                    None => Ok(Freed::default()),
                }
            })
            .await?;
        self.used_after.store(freed.after, Ordering::Relaxed);
        Ok(freed)
    }

    async fn usage(&self) -> Result<StoreUsage, StoreError> {
        // A connection of its own: measuring walks every page, and
        // history reads should not wait behind it.
        let (path, oldest, cache) = (self.path.clone(), self.chunks.oldest_pending(), self.table_sizes.clone());
        tokio::task::spawn_blocking(move || {
            let conn = connect(&path)?;
            let now = crate::now_ms();
            let mut cached = cache.lock().map_err(|_| StoreError::Worker("table sizes lock poisoned".into()))?;
            if now - cached.0 >= TABLE_SIZES_INTERVAL_MS {
                *cached = (now, sqlite_usage::table_sizes(&conn)?);
            }
            sqlite_usage::usage(&conn, &path, oldest, cached.1.clone())
        })
        .await
        .map_err(|e| StoreError::Worker(e.to_string()))?
    }

    async fn ping(&self) -> Result<(), StoreError> {
        with(&self.reader, |conn| Ok(conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)).map(|_| ())?)).await
    }

    async fn rules_or_defaults(&self, defaults: Vec<Rule>) -> Result<Vec<Rule>, StoreError> {
        self.writer
            .run(move |conn| {
                let tx = conn.transaction()?;
                let initialized: Option<String> = tx
                    .query_row("SELECT value FROM hub_settings WHERE key = ?1", [RULES_INITIALIZED], |r| r.get(0))
                    .optional()?;
                if initialized.is_none() {
                    for rule in &defaults {
                        put_rule_sql(&tx, rule)?;
                    }
                    tx.execute("INSERT INTO hub_settings (key, value) VALUES (?1, 'true')", [RULES_INITIALIZED])?;
                }
                let rules = {
                    let mut stmt = tx.prepare("SELECT rule FROM alert_rules ORDER BY created_at, id")?;
                    let texts = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
                    texts
                        .iter()
                        .map(|text| serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("rule: {e}"))))
                        .collect::<Result<Vec<Rule>, _>>()?
                };
                tx.commit()?;
                Ok(rules)
            })
            .await
    }

    async fn put_rule(&self, rule: &Rule) -> Result<(), StoreError> {
        let rule = rule.clone();
        self.writer.run(move |conn| put_rule_sql(conn, &rule)).await
    }

    async fn delete_rule(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.writer
            .run(move |conn| {
                conn.execute("DELETE FROM alert_rules WHERE id = ?1", [id])?;
                Ok(())
            })
            .await
    }

    async fn put_alert(&self, alert: &Alert) -> Result<(), StoreError> {
        let alert = alert.clone();
        self.writer.run(move |conn| alert_rows::sqlite_put(conn, &alert)).await
    }

    async fn machine_settings(&self) -> Result<Vec<(String, MachineSettings)>, StoreError> {
        with(&self.reader, |conn| {
            let mut stmt =
                conn.prepare("SELECT machine_id, labels, display_name, interval_ms FROM machine_settings")?;
            let rows = stmt.query_map([], |r| {
                let labels = labels_of(&r.get::<_, String>(1)?);
                let interval = MachineSettings::interval_from_ms(r.get(3)?);
                Ok((r.get::<_, String>(0)?, MachineSettings { labels, display_name: r.get(2)?, interval }))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn put_machine_settings(&self, machine_id: &str, settings: &MachineSettings) -> Result<(), StoreError> {
        let (id, settings) = (machine_id.to_owned(), settings.clone());
        self.writer
            .run(move |conn| {
                conn.execute(
                    "INSERT INTO machine_settings (machine_id, labels, display_name, interval_ms, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (machine_id) DO UPDATE SET labels = excluded.labels,
                         display_name = excluded.display_name, interval_ms = excluded.interval_ms,
                         updated_at = excluded.updated_at",
                    params![
                        id,
                        labels_json(&settings.labels)?,
                        settings.display_name,
                        settings.interval_ms(),
                        crate::now_ms()
                    ],
                )?;
                Ok(())
            })
            .await
    }

    async fn forget_machine(&self, machine_id: &str, purge_history: bool) -> Result<(), StoreError> {
        let id = machine_id.to_owned();
        self.writer
            .run(move |conn| {
                let tx = conn.transaction()?;
                for statement in super::forget::statements(purge_history) {
                    tx.execute(statement, [&id])?;
                }
                tx.commit()?;
                Ok(())
            })
            .await?;
        self.refresh.forget(machine_id);
        if purge_history {
            self.chunks.forget_machine(machine_id);
        }
        Ok(())
    }

    async fn put_audit(&self, entry: &crate::audit::AuditEntry) -> Result<(), StoreError> {
        let entry = entry.clone();
        self.writer.run(move |conn| super::audit_log::sqlite_insert(conn, &entry)).await
    }

    async fn audit(&self, query: &crate::audit::AuditQuery) -> Result<Vec<crate::audit::AuditEntry>, StoreError> {
        let query = query.clone();
        with(&self.reader, move |conn| super::audit_log::sqlite_list(conn, &query)).await
    }

    async fn agent_tokens(&self) -> Result<Vec<AgentToken>, StoreError> {
        with(&self.reader, |conn| sqlite_tokens::list(conn)).await
    }

    async fn put_agent_token(&self, token: &AgentToken) -> Result<(), StoreError> {
        let token = token.clone();
        self.writer.run(move |conn| sqlite_tokens::insert(conn, &token)).await
    }

    async fn revoke_agent_token(&self, id: &str, at_ms: i64) -> Result<Option<AgentToken>, StoreError> {
        let id = id.to_owned();
        self.writer.run(move |conn| sqlite_tokens::revoke(conn, &id, at_ms)).await
    }

    async fn alerts(&self, query: &AlertQuery) -> Result<Vec<Alert>, StoreError> {
        let query = query.clone();
        with(&self.reader, move |conn| alert_rows::sqlite_list(conn, &query)).await
    }

    async fn channels(&self) -> Result<Vec<Channel>, StoreError> {
        with(&self.reader, channel_rows::sqlite_list).await
    }

    async fn put_channel(&self, channel: &Channel) -> Result<(), StoreError> {
        let channel = channel.clone();
        self.writer.run(move |conn| channel_rows::sqlite_put(conn, &channel)).await
    }

    async fn delete_channel(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.writer.run(move |conn| channel_rows::sqlite_delete(conn, &id)).await
    }

    async fn put_delivery(&self, delivery: &Delivery) -> Result<(), StoreError> {
        let delivery = delivery.clone();
        self.writer.run(move |conn| channel_rows::sqlite_put_delivery(conn, &delivery)).await
    }

    async fn deliveries(&self, alert_id: &str) -> Result<Vec<Delivery>, StoreError> {
        let alert_id = alert_id.to_owned();
        with(&self.reader, move |conn| channel_rows::sqlite_deliveries(conn, &alert_id)).await
    }

    async fn silences(&self) -> Result<Vec<Silence>, StoreError> {
        with(&self.reader, silence_rows::sqlite_list).await
    }

    async fn put_silence(&self, silence: &Silence) -> Result<(), StoreError> {
        let silence = silence.clone();
        self.writer.run(move |conn| silence_rows::sqlite_put(conn, &silence)).await
    }
}

fn put_rule_sql(conn: &Connection, rule: &Rule) -> Result<(), StoreError> {
    let json = serde_json::to_string(rule).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    conn.execute(
        "INSERT INTO alert_rules (id, name, metric, enabled, version, created_at, updated_at, rule)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, metric = excluded.metric, enabled = excluded.enabled,
             version = excluded.version, updated_at = excluded.updated_at, rule = excluded.rule",
        params![
            rule.id,
            rule.name,
            rule.metric,
            rule.enabled,
            rule.version as i64,
            rule.created_at,
            rule.updated_at,
            json
        ],
    )?;
    Ok(())
}
