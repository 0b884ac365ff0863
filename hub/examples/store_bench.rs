//! Storage write throughput (a benchmark, not a test): rows/s into SQLite
//! and, with `--database-url`, PostgreSQL with binary COPY (what the hub
//! uses) and with multi-row INSERT, at several batch sizes. Rows are
//! realistic: 8 cores, 3 disks, 2 interfaces, 5 top processes.
//!
//! `scripts/bench-store.sh` starts a throwaway PostgreSQL and runs this in
//! release mode; the results go to BENCHMARKS.md.

use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use sysmonstm_hub::events::MachineUpdate;
use sysmonstm_hub::store::{postgres::PostgresStore, sqlite::SqliteStore, Batch, Store};
use sysmonstm_protocol::model::*;

#[derive(Parser)]
struct Args {
    /// PostgreSQL to measure too (an empty, throwaway database).
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Rows written per measurement.
    #[arg(long, default_value_t = 200_000)]
    rows: usize,
    /// Batch sizes to measure.
    #[arg(long, value_delimiter = ',', default_value = "500,5000")]
    batches: Vec<usize>,
    /// Distinct machines the rows are spread over (the hub's indexes grow
    /// with it: each machine inserts at its own place).
    #[arg(long, default_value_t = 1000)]
    machines: usize,
    /// Concurrent writers (each owning a share of the machines).
    #[arg(long, default_value_t = 1)]
    lanes: usize,
    /// Print one JSON line per measurement.
    #[arg(long)]
    json: bool,
}

fn rows(count: usize, machines: usize, offset: u64) -> Vec<Arc<MachineUpdate>> {
    let host =
        Arc::new(HostInfo { hostname: "bench".into(), cpu_cores: 8, memory_total: 16 << 30, ..Default::default() });
    let instances: Vec<Arc<str>> = (0..machines).map(|m| Arc::from(format!("inst-{m}"))).collect();
    (0..count)
        .map(|i| {
            let (machine, seq) = (i % machines, offset + (i / machines) as u64 + 1);
            let ts = 1_800_000_000_000 + seq as i64 * 1000;
            let pct = (i % 100) as f64;
            let sample = Sample {
                seq,
                timestamp_ms: ts,
                cpu: CpuStats {
                    total_percent: pct,
                    per_core_percent: vec![pct; 8],
                    user_percent: pct / 2.0,
                    ..Default::default()
                },
                memory: MemoryStats {
                    total: 16 << 30,
                    used: 8 << 30,
                    available: 8 << 30,
                    percent: 50.0,
                    ..Default::default()
                },
                disks: ["/", "/var", "/data"]
                    .iter()
                    .map(|m| DiskUsage {
                        mount_point: m.to_string(),
                        device: "/dev/sda1".into(),
                        filesystem: "ext4".into(),
                        total: 1 << 40,
                        used: 1 << 39,
                        free: 1 << 39,
                        percent: 50.0,
                    })
                    .collect(),
                disk_io: (0..3)
                    .map(|d| DiskIo {
                        device: format!("sd{d}"),
                        read_bps: 1e6,
                        write_bps: 2e6,
                        read_bytes_total: 1 << 30,
                        write_bytes_total: 1 << 31,
                    })
                    .collect(),
                net: ["eth0", "eth1"]
                    .iter()
                    .map(|n| NetIo {
                        interface: n.to_string(),
                        rx_bps: 1e5,
                        tx_bps: 2e5,
                        rx_bytes_total: 1 << 32,
                        tx_bytes_total: 1 << 33,
                    })
                    .collect(),
                load: LoadAvg { load1: 1.0, load5: 0.8, load15: 0.5 },
                process_count: 250,
                tcp_connections: 40,
                top_processes: (0..5)
                    .map(|p| ProcessInfo {
                        pid: 1000 + p,
                        name: format!("proc-{p}"),
                        cpu_percent: 10.0,
                        rss: 100 << 20,
                    })
                    .collect(),
                uptime_secs: 86_400,
                ..Default::default()
            };
            let id = format!("bench-{machine:05}");
            let summary = MachineSummary::new(&id, &host, &sample, MachineStatus::Online, ts);
            MachineUpdate::new(summary, instances[machine].clone(), host.clone(), Arc::new(sample))
        })
        .collect()
}

fn report(args: &Args, backend: &str, method: &str, batch: usize, rows: usize, secs: f64) {
    let rate = rows as f64 / secs;
    if args.json {
        println!(
            r#"{{"backend":"{backend}","method":"{method}","batch":{batch},"rows":{rows},"secs":{secs:.3},"rows_per_sec":{rate:.0}}}"#
        );
    } else {
        println!("{backend:<10} {method:<8} batch {batch:>6}  {rows:>8} rows  {secs:>7.2} s  {rate:>10.0} rows/s");
    }
}

async fn measure<F, Fut>(args: &Args, backend: &str, method: &str, batch: usize, offset: &mut u64, write: F)
where
    F: FnMut(Arc<Batch>) -> Fut + Clone,
    Fut: std::future::Future<Output = Result<(), sysmonstm_hub::store::StoreError>>,
{
    let machines = args.machines.max(1);
    let all = rows(args.rows, machines, *offset);
    *offset += (args.rows / machines) as u64 + 1;
    // `lanes` writers at once, each owning a share of the machines (as the
    // hub's writer lanes do), each writing its batches in order.
    let lanes = args.lanes.max(1);
    let mut per_lane: Vec<Vec<Arc<MachineUpdate>>> = vec![Vec::new(); lanes];
    for (i, row) in all.into_iter().enumerate() {
        per_lane[(i % machines) % lanes].push(row);
    }
    let queues: Vec<Vec<Arc<Batch>>> =
        per_lane.iter().map(|rows| rows.chunks(batch).map(|c| Arc::new(c.to_vec())).collect()).collect();
    let started = Instant::now();
    let results = futures::future::join_all(queues.into_iter().map(|queue| {
        let mut write = write.clone();
        async move {
            for b in queue {
                write(b).await?;
            }
            Ok::<(), sysmonstm_hub::store::StoreError>(())
        }
    }))
    .await;
    if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
        eprintln!("{backend} {method}: {e}");
        return;
    }
    let label = format!("{method}x{lanes}");
    report(args, backend, &label, batch, args.rows, started.elapsed().as_secs_f64());
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let sqlite = SqliteStore::open(&dir.path().join("bench.db")).await?;
    let mut offset = 0;
    for &batch in &args.batches {
        let store = &sqlite;
        measure(&args, "sqlite", "insert", batch, &mut offset, move |b| store.write(b)).await;
    }
    if let Some(url) = &args.database_url {
        let pg = PostgresStore::connect(url).await?;
        for &batch in &args.batches {
            let store = &pg;
            measure(&args, "postgres", "copy", batch, &mut offset, move |b| store.write(b)).await;
        }
    }
    Ok(())
}
