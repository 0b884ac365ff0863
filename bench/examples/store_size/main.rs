//! History on disk, per stored sample (a benchmark, not a test).
//!
//! Feeds the real store (SQLite, or PostgreSQL with `--database-url`) with
//! the load generator's samples (jitter or walk) on a simulated clock, as
//! the hub would at full load: a batch every 5 s, sealing every 5 s,
//! maintenance every minute. After a warm-up (recent rows, rollups and
//! free pages reach their steady state) it measures how much the store
//! grows per sample stored (SQLite: file and WAL, checkpointed at both
//! ends; PostgreSQL: the database's size) and the store's CPU per sample
//! (PostgreSQL's own processes counted). The simulated clock runs several
//! times faster than the wall clock PostgreSQL's autovacuum goes by, so
//! the bench vacuums the churning tables every simulated minute, as
//! autovacuum (a minute's naptime) would at a real hub's pace. With `--victoria-url` the same
//! values go to VictoriaMetrics over its import API, measured alike.
//! With `--history-days` one more machine carries that many days at one
//! sample a minute, and the history queries are timed at the end.
//!
//! `cargo run --release -p sysmonstm-bench --example store_size -- --values walk`

mod victoria;

/// The hub's allocator, so the store's CPU is what the hub spends.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use sysmonstm_bench::sample::{Source, Values};
use sysmonstm_hub::events::MachineUpdate;
use sysmonstm_hub::store::history::plan;
use sysmonstm_hub::store::postgres::PostgresStore;
use sysmonstm_hub::store::sqlite::SqliteStore;
use sysmonstm_hub::store::{Retention, Store, StoreOptions};
use sysmonstm_protocol::duration::parse_positive;
use sysmonstm_protocol::model::{HostInfo, MachineStatus, MachineSummary, Sample};

#[derive(Parser)]
struct Args {
    /// Simulated machines, one sample a second each.
    #[arg(long, default_value_t = 100)]
    machines: u64,
    /// How sample values move.
    #[arg(long, value_enum, default_value = "jitter")]
    values: Values,
    /// Simulated time before measuring.
    #[arg(long, default_value = "30m", value_parser = parse_positive)]
    warmup: Duration,
    /// Simulated time measured.
    #[arg(long, default_value = "60m", value_parser = parse_positive)]
    measure: Duration,
    /// The store's --compact-after.
    #[arg(long, default_value = "10m", value_parser = parse_positive)]
    compact_after: Duration,
    /// Print one JSON line.
    #[arg(long)]
    json: bool,
    /// PostgreSQL instead of SQLite (an empty database).
    #[arg(long)]
    database_url: Option<String>,
    /// VictoriaMetrics to push the same values to (e.g. http://127.0.0.1:8428).
    #[arg(long)]
    victoria_url: Option<String>,
    /// Its data directory (-storageDataPath) and process id, to measure it.
    #[arg(long, requires = "victoria_url")]
    victoria_data: Option<std::path::PathBuf>,
    #[arg(long, requires = "victoria_url")]
    victoria_pid: Option<u32>,
    /// Days of history (a sample a minute) of one more machine, whose
    /// queries are timed at the end (0: none).
    #[arg(long, default_value_t = 0)]
    history_days: u64,
}

/// Values a sample of the load generator carries (for bytes per value).
const VALUES_PER_SAMPLE: f64 = 77.0;
/// Times each history query runs (the median is reported).
const QUERY_RUNS: usize = 21;
const BATCH_EVERY_S: i64 = 5;
const MAINTAIN_EVERY_S: i64 = 60;

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the struct we pass and nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

/// CPU seconds of every process called `name` (PostgreSQL's backends).
fn processes_cpu(name: &str) -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else { return 0.0 };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|p| p.parse::<u32>().ok()))
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == name))
        .map(victoria::process_cpu_seconds)
        .sum()
}

/// Where the store keeps its data, and how to measure it.
enum Backend {
    Sqlite(std::path::PathBuf),
    Postgres(tokio_postgres::Client),
}

impl Backend {
    /// Bytes on disk: SQLite's file and WAL after a full checkpoint, or
    /// the PostgreSQL database.
    async fn size(&self) -> anyhow::Result<u64> {
        match self {
            Backend::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path)?;
                conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
                let wal = std::fs::metadata(path.with_extension("db-wal")).map(|m| m.len()).unwrap_or(0);
                Ok(std::fs::metadata(path)?.len() + wal)
            }
            Backend::Postgres(client) => {
                client.batch_execute("CHECKPOINT").await?;
                let row = client.query_one("SELECT pg_database_size(current_database())", &[]).await?;
                Ok(row.get::<_, i64>(0) as u64)
            }
        }
    }

    /// Chunk body bytes, recent rows, minute rollups.
    async fn tables(&self) -> anyhow::Result<(i64, i64, i64)> {
        const SQL: [&str; 3] = [
            "SELECT coalesce(sum(length(body)), 0)::bigint FROM chunks",
            "SELECT count(*) FROM samples_recent",
            "SELECT count(*) FROM samples_1m",
        ];
        let mut out = [0i64; 3];
        for (slot, sql) in out.iter_mut().zip(SQL) {
            *slot = match self {
                Backend::Sqlite(path) => {
                    rusqlite::Connection::open(path)?.query_row(&sql.replace("::bigint", ""), [], |r| r.get(0))?
                }
                Backend::Postgres(client) => client.query_one(sql, &[]).await?.get(0),
            };
        }
        Ok((out[0], out[1], out[2]))
    }

    /// What PostgreSQL's autovacuum does on wall-clock time (a minute's
    /// naptime), at the simulated clock's pace: vacuums the tables that
    /// churn (recent rows deleted by sealing, rollup rows updated by it,
    /// machine rows rewritten every 10 s of samples).
    async fn vacuum(&self) -> anyhow::Result<()> {
        if let Backend::Postgres(client) = self {
            client.batch_execute("VACUUM samples_recent, samples_1m, samples_1h, machines").await?;
        }
        Ok(())
    }

    /// CPU the backend spends outside this process (PostgreSQL's).
    fn server_cpu(&self) -> f64 {
        match self {
            Backend::Sqlite(_) => 0.0,
            Backend::Postgres(_) => processes_cpu("postgres"),
        }
    }
}

/// The median time of `runs` runs of a history query, ms.
async fn time_query(
    store: &dyn Store,
    machine: &str,
    plan: &sysmonstm_hub::store::history::Plan,
) -> anyhow::Result<(f64, usize)> {
    let mut times = Vec::with_capacity(QUERY_RUNS);
    let mut points = 0;
    for _ in 0..QUERY_RUNS {
        let started = Instant::now();
        points = store.history(machine, plan).await?.len();
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], points))
}

/// One more machine with `days` of history at a sample a minute, sealed
/// as the hub would (hour by hour), ending at `end`.
async fn feed_history(
    store: &dyn Store,
    host: &Arc<HostInfo>,
    days: u64,
    end: i64,
    values: Values,
) -> anyhow::Result<()> {
    let mut source = Source::new(values, 0);
    let instance: Arc<str> = Arc::from("history");
    let minutes = days as i64 * 1440;
    let start = end - minutes * 60_000;
    let mut batch = Vec::new();
    for minute in 0..minutes {
        let ts = start + minute * 60_000;
        let sample: Sample = source.next(minute as u64 + 1, ts).into();
        let summary = MachineSummary::new("history", host, &sample, MachineStatus::Online, ts);
        batch.push(MachineUpdate::new(summary, instance.clone(), host.clone(), Arc::new(sample)));
        if minute % 60 == 59 {
            store.write(Arc::new(std::mem::take(&mut batch))).await?;
            store.seal(ts + 60_000).await?;
        }
    }
    store.write(Arc::new(batch)).await?;
    store.seal(end).await?;
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let options = StoreOptions { compact_after: args.compact_after };
    let (store, backend): (Arc<dyn Store>, Backend) = match &args.database_url {
        Some(url) => {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
            tokio::spawn(connection);
            (Arc::new(PostgresStore::connect_with(url, options).await?), Backend::Postgres(client))
        }
        None => {
            let path = dir.path().join("sysmonstm.db");
            (Arc::new(SqliteStore::open_with(&path, options).await?), Backend::Sqlite(path))
        }
    };
    let host =
        Arc::new(HostInfo { hostname: "bench".into(), cpu_cores: 8, memory_total: 16 << 30, ..Default::default() });
    let ids: Vec<String> = (0..args.machines).map(|m| format!("loadgen-{m:05}")).collect();
    let instances: Vec<Arc<str>> = (0..args.machines).map(|m| Arc::from(format!("{m:032x}"))).collect();
    let mut sources: Vec<Source> = (0..args.machines).map(|m| Source::new(args.values, m + 1)).collect();
    let (warmup_s, measure_s) = (args.warmup.as_secs() as i64, args.measure.as_secs() as i64);
    // The simulated clock ends now (VictoriaMetrics refuses samples from the future).
    let t0 = (sysmonstm_hub::now_ms() - (warmup_s + measure_s) * 1000) / 3_600_000 * 3_600_000;
    if args.history_days > 0 {
        feed_history(&*store, &host, args.history_days, t0, args.values).await?;
        eprintln!("history machine: {} days at a sample a minute", args.history_days);
    }
    let victoria = args.victoria_url.as_deref().map(|url| (reqwest::Client::new(), url));
    let mut batch = Vec::new();
    let mut pushed: Vec<(String, Sample)> = Vec::new();
    let (mut start_size, mut start_cpu, mut stored) = (0u64, 0f64, 0u64);
    let (mut store_cpu, mut write_cpu, mut server_start) = (0f64, 0f64, 0f64);
    let (mut vm_start_size, mut vm_start_cpu, mut vm_values) = (0u64, 0f64, 0usize);
    let mut values_per_sample = VALUES_PER_SAMPLE;
    for second in 1..=warmup_s + measure_s {
        let ts = t0 + second * 1000;
        for (m, source) in sources.iter_mut().enumerate() {
            let sample: Sample = source.next(second as u64, ts).into();
            if victoria.is_some() {
                pushed.push((ids[m].clone(), sample.clone()));
            }
            let summary = MachineSummary::new(&ids[m], &host, &sample, MachineStatus::Online, ts);
            batch.push(MachineUpdate::new(summary, instances[m].clone(), host.clone(), Arc::new(sample)));
        }
        if second % BATCH_EVERY_S == 0 {
            let began = cpu_seconds();
            store.write(Arc::new(std::mem::take(&mut batch))).await?;
            let written = cpu_seconds();
            store.seal(ts).await?;
            if second % MAINTAIN_EVERY_S == 0 {
                store.maintain(ts, Retention::default()).await?;
                backend.vacuum().await?;
            }
            let spent = cpu_seconds() - began;
            if second > warmup_s {
                store_cpu += spent;
                write_cpu += written - began;
                stored += args.machines * BATCH_EVERY_S as u64;
            }
            if let Some((client, url)) = &victoria {
                values_per_sample = victoria::values_per_sample(&pushed[0].1) as f64;
                let sent = victoria::push(client, url, &pushed).await?;
                if second > warmup_s {
                    vm_values += sent;
                }
                pushed.clear();
            }
        }
        if second == warmup_s {
            start_size = backend.size().await?;
            start_cpu = store_cpu;
            server_start = backend.server_cpu();
            if let Some((client, url)) = &victoria {
                victoria::settle(client, url).await?;
                vm_start_size = args.victoria_data.as_deref().map_or(0, victoria::dir_bytes);
                vm_start_cpu = args.victoria_pid.map_or(0.0, victoria::process_cpu_seconds);
            }
            eprintln!("warmed up: {} MB after {} simulated", start_size >> 20, humantime::format_duration(args.warmup));
        }
        if second > warmup_s && (second - warmup_s) % 600 == 0 {
            eprintln!("  {} of {} measured", (second - warmup_s) / 60, measure_s / 60);
        }
    }
    let server_cpu = backend.server_cpu() - server_start;
    let end_size = backend.size().await?;
    let (chunk_bytes, recent_rows, minute_rows) = backend.tables().await?;
    let per_sample = (end_size as f64 - start_size as f64) / stored as f64;
    let cpu_us = (store_cpu - start_cpu + server_cpu) / stored as f64 * 1e6;
    let sealed_samples = (warmup_s + measure_s) as f64 * args.machines as f64 - recent_rows as f64;
    let backend_name = if args.database_url.is_some() { "postgres" } else { "sqlite" };
    let mut report = serde_json::json!({
        "backend": backend_name,
        "values": format!("{:?}", args.values),
        "machines": args.machines,
        "compact_after_s": args.compact_after.as_secs(),
        "samples_measured": stored,
        "bytes_per_sample": (per_sample * 10.0).round() / 10.0,
        "bytes_per_value": (per_sample / values_per_sample * 100.0).round() / 100.0,
        "chunk_bytes_per_sample": (chunk_bytes as f64 / sealed_samples * 10.0).round() / 10.0,
        "store_cpu_us_per_sample": (cpu_us * 10.0).round() / 10.0,
        "server_cpu_us_per_sample": (server_cpu / stored as f64 * 1e7).round() / 10.0,
        "write_cpu_us_per_sample": (write_cpu / stored as f64 * 1e7).round() / 10.0,
        "db_mb": (end_size as f64 / 1e5).round() / 10.0,
        "recent_rows": recent_rows,
        "minute_rows": minute_rows,
    });
    if let Some((client, url)) = &victoria {
        victoria::settle(client, url).await?;
        let grown = args.victoria_data.as_deref().map_or(0, victoria::dir_bytes) as f64 - vm_start_size as f64;
        let cpu = args.victoria_pid.map_or(0.0, victoria::process_cpu_seconds) - vm_start_cpu;
        report["victoria_bytes_per_sample"] = serde_json::json!((grown / stored as f64 * 10.0).round() / 10.0);
        report["victoria_bytes_per_value"] =
            serde_json::json!((grown / vm_values.max(1) as f64 * 100.0).round() / 100.0);
        report["victoria_cpu_us_per_sample"] = serde_json::json!((cpu / stored as f64 * 1e7).round() / 10.0);
        report["values_per_sample"] = serde_json::json!(values_per_sample);
    }
    if args.history_days > 0 {
        let now = t0 + (warmup_s + measure_s) * 1000;
        let all: Vec<&str> = sysmonstm_hub::metrics::METRICS.iter().map(|m| m.name).collect();
        let hour = plan(
            Some(&all.join(",")),
            Some(&(now - 3_600_000).to_string()),
            Some(&now.to_string()),
            Some("raw"),
            None,
        )?;
        let (ms, points) = time_query(&*store, &ids[0], &hour).await?;
        report["query_1h_raw_ms"] = serde_json::json!((ms * 100.0).round() / 100.0);
        report["query_1h_raw_points"] = points.into();
        let month_from = t0 - args.history_days as i64 * 86_400_000;
        let month = plan(Some(&all.join(",")), Some(&month_from.to_string()), Some(&t0.to_string()), Some("1h"), None)?;
        let (ms, points) = time_query(&*store, "history", &month).await?;
        report["query_history_1h_ms"] = serde_json::json!((ms * 100.0).round() / 100.0);
        report["query_history_1h_points"] = points.into();
    }
    if args.json {
        println!("{report}");
    } else {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(())
}
