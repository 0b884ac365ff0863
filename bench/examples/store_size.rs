//! History on disk, per stored sample (a benchmark, not a test).
//!
//! Feeds the real SQLite store with the load generator's samples (jitter
//! or walk) on a simulated clock, as the hub would at full load: a batch
//! every 5 s, sealing every 5 s, maintenance every minute. After a warm-up
//! (recent rows, rollups and free pages reach their steady state) it
//! measures how much the data directory grows per sample stored, with
//! the WAL checkpointed at both ends, and the store's CPU per sample.
//!
//! `cargo run --release -p sysmonstm-bench --example store_size -- --values walk`

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use sysmonstm_bench::sample::{Source, Values};
use sysmonstm_hub::events::MachineUpdate;
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
}

const T0: i64 = 1_800_000_000_000;
/// Values a sample of the load generator carries (for bytes per value).
const VALUES_PER_SAMPLE: f64 = 77.0;
const BATCH_EVERY_S: i64 = 5;
const MAINTAIN_EVERY_S: i64 = 60;

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the struct we pass and nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

/// Database and WAL bytes after a full checkpoint.
fn size(path: &std::path::Path) -> anyhow::Result<u64> {
    let conn = rusqlite::Connection::open(path)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let wal = std::fs::metadata(path.with_extension("db-wal")).map(|m| m.len()).unwrap_or(0);
    Ok(std::fs::metadata(path)?.len() + wal)
}

fn table_bytes(path: &std::path::Path) -> anyhow::Result<(i64, i64, i64)> {
    let conn = rusqlite::Connection::open(path)?;
    let chunks: i64 = conn.query_row("SELECT coalesce(sum(length(body)), 0) FROM chunks", [], |r| r.get(0))?;
    let recent: i64 = conn.query_row("SELECT count(*) FROM samples_recent", [], |r| r.get(0))?;
    let minutes: i64 = conn.query_row("SELECT count(*) FROM samples_1m", [], |r| r.get(0))?;
    Ok((chunks, recent, minutes))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("sysmonstm.db");
    let store = SqliteStore::open_with(&path, StoreOptions { compact_after: args.compact_after }).await?;
    let host =
        Arc::new(HostInfo { hostname: "bench".into(), cpu_cores: 8, memory_total: 16 << 30, ..Default::default() });
    let ids: Vec<String> = (0..args.machines).map(|m| format!("loadgen-{m:05}")).collect();
    let instances: Vec<Arc<str>> = (0..args.machines).map(|m| Arc::from(format!("{m:032x}"))).collect();
    let mut sources: Vec<Source> = (0..args.machines).map(|m| Source::new(args.values, m + 1)).collect();
    let (warmup_s, measure_s) = (args.warmup.as_secs() as i64, args.measure.as_secs() as i64);
    let mut batch = Vec::new();
    let (mut start_size, mut start_cpu, mut stored) = (0u64, 0f64, 0u64);
    let (mut store_cpu, mut write_cpu) = (0f64, 0f64);
    for second in 1..=warmup_s + measure_s {
        let ts = T0 + second * 1000;
        for (m, source) in sources.iter_mut().enumerate() {
            let sample: Sample = source.next(second as u64, ts).into();
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
            }
            let spent = cpu_seconds() - began;
            if second > warmup_s {
                store_cpu += spent;
                write_cpu += written - began;
                stored += args.machines * BATCH_EVERY_S as u64;
            }
        }
        if second == warmup_s {
            start_size = size(&path)?;
            start_cpu = store_cpu;
            eprintln!("warmed up: {} MB after {} simulated", start_size >> 20, humantime::format_duration(args.warmup));
        }
        if second > warmup_s && (second - warmup_s) % 600 == 0 {
            eprintln!("  {} of {} measured", (second - warmup_s) / 60, measure_s / 60);
        }
    }
    let end_size = size(&path)?;
    let (chunk_bytes, recent_rows, minute_rows) = table_bytes(&path)?;
    let per_sample = (end_size as f64 - start_size as f64) / stored as f64;
    let cpu_us = (store_cpu - start_cpu) / stored as f64 * 1e6;
    let sealed_samples = (warmup_s + measure_s) as f64 * args.machines as f64 - recent_rows as f64;
    if args.json {
        println!(
            r#"{{"values":"{:?}","machines":{},"compact_after_s":{},"samples_measured":{stored},"bytes_per_sample":{per_sample:.1},"bytes_per_value":{:.2},"chunk_bytes_per_sample":{:.1},"store_cpu_us_per_sample":{cpu_us:.1},"write_cpu_us_per_sample":{:.1},"db_mb":{:.1}}}"#,
            args.values,
            args.machines,
            args.compact_after.as_secs(),
            per_sample / VALUES_PER_SAMPLE,
            chunk_bytes as f64 / sealed_samples,
            write_cpu / stored as f64 * 1e6,
            end_size as f64 / 1e6
        );
    } else {
        println!(
            "values {:?}, {} machines, compact after {}",
            args.values,
            args.machines,
            humantime::format_duration(args.compact_after)
        );
        println!(
            "  growth per stored sample   {per_sample:>8.1} bytes  ({:.2} per value)",
            per_sample / VALUES_PER_SAMPLE
        );
        println!("  of which chunk bodies      {:>8.1} bytes", chunk_bytes as f64 / sealed_samples);
        println!(
            "  store CPU per sample       {cpu_us:>8.1} µs  (of which writing recent rows {:.1})",
            write_cpu / stored as f64 * 1e6
        );
        println!(
            "  database now               {:>8.1} MB, {recent_rows} recent rows, {minute_rows} minute rollups",
            end_size as f64 / 1e6
        );
    }
    Ok(())
}
