//! History storage: one [`Store`] interface, two backends.
//!
//! - [`sqlite`]: the embedded default, a file in the data directory (WAL).
//! - [`postgres`]: PostgreSQL via deadpool-postgres, TimescaleDB features
//!   when the extension is installed.
//!
//! Writes are idempotent: a sample already stored (same machine, instance,
//! seq) is skipped, so a retried batch never stores anything twice.
//!
//! # Layout
//! - [`alert_rows`]: alert events, for both backends.
//! - [`audit_log`]: the audit log's table, for both backends.
//! - [`channel_rows`]: notification channels and the delivery log, for both backends.
//! - [`silence_rows`]: silences and maintenance windows, for both backends.
//! - [`budget`]: `--max-disk` and the store's size report (pure).
//! - [`codec`]: the integer column codec under chunks (pure).
//! - [`compact`]: compact history's state, sealing and history gathering, shared by both backends (pure).
//! - [`forget`]: what forgetting (and purging) a machine deletes, for both backends.
//! - [`chunk`]: sealed chunks, a run of samples as columns (pure).
//! - [`history`]: history query parameters and resolution choice (pure).
//! - [`migrate`]: versioned, embedded migrations for both backends.
//! - [`seal`]: when recent rows become chunks (pure).
//! - [`rollup`]: rollups from sealed samples, history points in buckets (pure).
//! - [`sqlite_chunks`]: SQLite's recent rows, sealing and history reads.
//! - [`postgres_chunks`]: PostgreSQL's recent rows, sealing, partitions and history reads.
//! - [`predict`]: derived values predicted from the values they come from (pure).
//! - [`recent`]: a recent row's body, one sample at storage precision (pure).
//! - [`partition`]: PostgreSQL's time partitions (pure).
//! - [`rows`]: what a row holds, computed once for both backends.
//! - [`sqlite_usage`]: SQLite's size, and freeing space for `--max-disk`.
//! - [`postgres_usage`]: PostgreSQL's size, and freeing space for `--max-disk`.
//! - [`sqlite_writer`]: SQLite's writer connection on a lower-priority thread.
//! - [`status`]: what the hub sees of the storage writer (backlog, health, counts).

pub mod alert_rows;
pub mod audit_log;
pub mod budget;
pub mod channel_rows;
pub mod chunk;
pub mod codec;
pub mod compact;
pub mod forget;
pub mod history;
pub mod migrate;
pub mod partition;
pub mod poll;
pub mod postgres;
pub mod postgres_chunks;
pub mod postgres_tokens;
pub mod postgres_usage;
pub mod predict;
pub mod recent;
pub mod rollup;
pub mod rows;
pub mod seal;
pub mod silence_rows;
pub mod sqlite;
pub mod sqlite_chunks;
pub mod sqlite_tokens;
pub mod sqlite_usage;
pub mod sqlite_writer;
pub mod status;
pub mod token_rows;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sysmonstm_protocol::model::{HostInfo, Sample};

use crate::agent_tokens::AgentToken;
use crate::alerts::channel::Channel;
use crate::alerts::delivery::Delivery;
use crate::alerts::engine::{Alert, AlertState};
use crate::alerts::rule::Rule;
use crate::alerts::silence::Silence;
use crate::events::MachineUpdate;
use crate::machine_settings::MachineSettings;
use history::{Plan, Resolution};

/// A batch of samples to write, as the sessions published them.
pub type Batch = Vec<Arc<MachineUpdate>>;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    #[error("migration {version} ({name}): {message}")]
    Migration { version: u32, name: &'static str, message: String },
    #[error("data directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("chunk: {0}")]
    Chunk(#[from] chunk::ChunkError),
    #[error("store worker failed: {0}")]
    Worker(String),
}

/// A machine the store knows, as last seen.
#[derive(Debug, Clone)]
pub struct KnownMachine {
    pub machine_id: String,
    pub host: HostInfo,
    pub latest: Sample,
    pub last_seen: i64,
    /// What operators set on it at the hub.
    pub settings: MachineSettings,
}

/// Rows of a history answer: `(ts_ms, values in plan order)`.
pub type Points = Vec<(i64, Vec<Option<f64>>)>;

/// How often rollups, retention and `--max-disk` run by default (`--maintenance-interval`).
pub const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(60);

/// How long each resolution is kept, and how much disk all of it may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub raw: Duration,
    pub minute: Duration,
    pub hour: Duration,
    /// `--max-disk`: bytes the store keeps under (see [`budget`]).
    pub max_disk: Option<u64>,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            raw: Duration::from_secs(7 * 86_400),
            minute: Duration::from_secs(90 * 86_400),
            hour: Duration::from_secs(2 * 365 * 86_400),
            max_disk: None,
        }
    }
}

impl Retention {
    pub fn for_resolution(&self, resolution: Resolution) -> Duration {
        match resolution {
            Resolution::Raw => self.raw,
            Resolution::Minute => self.minute,
            Resolution::Hour => self.hour,
        }
    }
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// "sqlite" or "postgres" (plus "+timescaledb").
    fn describe(&self) -> String;
    /// Writes a batch in one transaction; samples already stored are skipped.
    async fn write(&self, batch: Arc<Batch>) -> Result<(), StoreError>;
    /// Writes the machine rows that writes left stale (see
    /// `rows::MACHINE_REFRESH_MS`); the hub calls it when it stops.
    async fn sync_machines(&self) -> Result<(), StoreError>;
    /// Highest stored seq of an agent instance (0 when none).
    async fn last_seq(&self, machine_id: &str, instance_id: &str) -> Result<u64, StoreError>;
    /// Every machine the store has seen, with its latest sample.
    async fn known_machines(&self) -> Result<Vec<KnownMachine>, StoreError>;
    /// Whether the store has ever seen `machine_id`.
    async fn has_machine(&self, machine_id: &str) -> Result<bool, StoreError>;
    /// Points of one machine for a history plan.
    async fn history(&self, machine_id: &str, plan: &Plan) -> Result<Points, StoreError>;
    /// Seals the recent samples due at `now` into chunks (with their
    /// rollups); returns how many samples were sealed. Backends without
    /// chunks seal nothing.
    async fn seal(&self, _now_ms: i64) -> Result<usize, StoreError> {
        Ok(0)
    }
    /// Converts the oldest run of version-1 wide rows into chunks (one
    /// bounded transaction); returns the rows consumed, 0 once none are
    /// left. Called in the background after an upgrade.
    async fn convert_legacy(&self) -> Result<usize, StoreError> {
        Ok(0)
    }
    /// Seals what is due, applies retention by age, then frees space for
    /// `--max-disk` (oldest first); says what that freed.
    async fn maintain(&self, now_ms: i64, retention: Retention) -> Result<budget::Freed, StoreError>;
    /// How big the store is and what it holds (a few cheap queries; see
    /// [`budget::StoreUsage`]).
    async fn usage(&self) -> Result<budget::StoreUsage, StoreError>;
    /// A cheap round trip, for readiness.
    async fn ping(&self) -> Result<(), StoreError>;
    /// The alert rules; on a store that never had any, `defaults` are stored and returned.
    async fn rules_or_defaults(&self, defaults: Vec<Rule>) -> Result<Vec<Rule>, StoreError>;
    /// Creates or replaces a rule.
    async fn put_rule(&self, rule: &Rule) -> Result<(), StoreError>;
    async fn delete_rule(&self, id: &str) -> Result<(), StoreError>;
    /// Creates or updates an alert event (by id).
    async fn put_alert(&self, alert: &Alert) -> Result<(), StoreError>;
    /// Alert events, newest first.
    async fn alerts(&self, query: &AlertQuery) -> Result<Vec<Alert>, StoreError>;
    /// Notification channels, oldest first (secrets included).
    async fn channels(&self) -> Result<Vec<Channel>, StoreError>;
    /// Creates or replaces a channel.
    async fn put_channel(&self, channel: &Channel) -> Result<(), StoreError>;
    async fn delete_channel(&self, id: &str) -> Result<(), StoreError>;
    /// Logs one delivery attempt.
    async fn put_delivery(&self, delivery: &Delivery) -> Result<(), StoreError>;
    /// The delivery attempts of an alert, oldest first.
    async fn deliveries(&self, alert_id: &str) -> Result<Vec<Delivery>, StoreError>;
    /// Silences and maintenance windows, oldest first, expired ones too.
    async fn silences(&self) -> Result<Vec<Silence>, StoreError>;
    /// Creates or replaces (expires) a silence.
    async fn put_silence(&self, silence: &Silence) -> Result<(), StoreError>;
    /// Every machine's hub-side settings (hubs sharing a database re-read them).
    async fn machine_settings(&self) -> Result<Vec<(String, MachineSettings)>, StoreError>;
    /// Keeps a machine's hub-side settings (replacing what was kept).
    async fn put_machine_settings(&self, machine_id: &str, settings: &MachineSettings) -> Result<(), StoreError>;
    /// Forgets a machine (its row and settings) and, with `purge_history`,
    /// deletes its samples and rollups too (see [`forget`]). The caller
    /// makes sure no batch of it is being written (the storage writer).
    async fn forget_machine(&self, machine_id: &str, purge_history: bool) -> Result<(), StoreError>;
    /// Appends an entry to the audit log.
    async fn put_audit(&self, entry: &crate::audit::AuditEntry) -> Result<(), StoreError>;
    /// Audit log entries, newest first.
    async fn audit(&self, query: &crate::audit::AuditQuery) -> Result<Vec<crate::audit::AuditEntry>, StoreError>;
    /// Agent tokens issued over REST, oldest first, revoked ones too.
    async fn agent_tokens(&self) -> Result<Vec<AgentToken>, StoreError>;
    /// Keeps a newly issued token.
    async fn put_agent_token(&self, token: &AgentToken) -> Result<(), StoreError>;
    /// Marks a token revoked at `at_ms` (a second revocation keeps the
    /// first time); the token as it now is, None when there is no such id.
    async fn revoke_agent_token(&self, id: &str, at_ms: i64) -> Result<Option<AgentToken>, StoreError>;
}

/// Which alert events to list.
#[derive(Debug, Clone, Default)]
pub struct AlertQuery {
    /// None: every state.
    pub state: Option<AlertState>,
    pub machine: Option<String>,
    /// Started at or after (ms).
    pub since: Option<i64>,
    /// Only the alert of this id.
    pub id: Option<String>,
    pub limit: i64,
}

/// "firing" / "resolved" as stored.
pub fn state_name(state: AlertState) -> &'static str {
    match state {
        AlertState::Firing => "firing",
        AlertState::Resolved => "resolved",
    }
}

/// The settings key marking that default rules were installed once.
pub const RULES_INITIALIZED: &str = "rules_initialized";

/// How a store keeps history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// How much of an agent's timeline one sealed chunk covers (`--compact-after`).
    pub compact_after: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { compact_after: seal::DEFAULT_COMPACT_AFTER }
    }
}

/// Opens the store: PostgreSQL when `database_url` is given, else SQLite in `data_dir`.
pub async fn open(
    database_url: Option<&str>,
    data_dir: &Path,
    options: StoreOptions,
) -> Result<Arc<dyn Store>, StoreError> {
    match database_url {
        Some(url) => Ok(Arc::new(postgres::PostgresStore::connect_with(url, options).await?)),
        None => Ok(Arc::new(sqlite::SqliteStore::open_with(&data_dir.join(sqlite::FILE_NAME), options).await?)),
    }
}
