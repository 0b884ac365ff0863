//! One suite for every store backend: SQLite here, PostgreSQL when the
//! harness can start a real server (see `common::postgres`).

mod common;

use std::sync::Arc;
use std::time::Duration;

use sysmonstm_hub::events::MachineUpdate;
use sysmonstm_hub::store::history::{plan, Resolution};
use sysmonstm_hub::store::{Retention, Store};
use sysmonstm_protocol::model::{CpuStats, DiskUsage, HostInfo, MachineStatus, MachineSummary, MemoryStats, Sample};

const T0: i64 = 1_800_000_000_000; // a fixed, minute- and hour-aligned time
const MINUTE: i64 = 60_000;

fn update(machine: &str, instance: &str, seq: u64, ts: i64, cpu: f64) -> Arc<MachineUpdate> {
    let host = Arc::new(HostInfo { hostname: format!("{machine}.example"), cpu_cores: 4, ..Default::default() });
    let sample = Sample {
        seq,
        timestamp_ms: ts,
        cpu: CpuStats { total_percent: cpu, per_core_percent: vec![cpu; 4], ..Default::default() },
        memory: MemoryStats { total: 1000, used: 500, percent: 50.0, ..Default::default() },
        disks: vec![DiskUsage { mount_point: "/".into(), percent: 30.0, ..Default::default() }],
        ..Default::default()
    };
    let summary = MachineSummary::new(machine, &host, &sample, MachineStatus::Online, ts + 5);
    MachineUpdate::new(summary, Arc::from(instance), host, Arc::new(sample))
}

/// Every check, against one store.
async fn suite(store: Arc<dyn Store>) {
    // Writes, and a retried batch stores nothing twice.
    let batch: Vec<_> =
        (1..=120).map(|i| update("m1", "i1", i, T0 + (i as i64 - 1) * 1000, i as f64 % 100.0)).collect();
    store.write(Arc::new(batch.clone())).await.expect("write");
    store.write(Arc::new(batch[100..].to_vec())).await.expect("rewrite is harmless");
    store.write(Arc::new(vec![update("m2", "j1", 1, T0, 5.0)])).await.expect("write m2");
    assert_eq!(store.last_seq("m1", "i1").await.expect("last_seq"), 120);
    assert_eq!(store.last_seq("m1", "other").await.expect("last_seq"), 0);
    assert_eq!(store.last_seq("nobody", "i1").await.expect("last_seq"), 0);

    // Known machines with their latest sample.
    let known = store.known_machines().await.expect("known");
    assert_eq!(known.iter().map(|k| k.machine_id.as_str()).collect::<Vec<_>>(), vec!["m1", "m2"]);
    assert_eq!(known[0].latest.seq, 120);
    assert_eq!(known[0].host.hostname, "m1.example");
    assert_eq!(known[0].last_seen, T0 + 119_000 + 5);
    assert!(store.has_machine("m2").await.expect("has"));
    assert!(!store.has_machine("m3").await.expect("has"));

    // A machine's row is rewritten at most every 10 s of samples while it
    // streams; what waits is written by sync_machines (at stop).
    store.write(Arc::new(vec![update("m2", "j1", 2, T0 + 1_000, 6.0)])).await.expect("write m2");
    let m2 = |known: Vec<sysmonstm_hub::store::KnownMachine>| known.into_iter().find(|k| k.machine_id == "m2");
    assert_eq!(m2(store.known_machines().await.expect("known")).map(|k| k.latest.seq), Some(1), "row not yet due");
    store.sync_machines().await.expect("sync");
    assert_eq!(m2(store.known_machines().await.expect("known")).map(|k| k.latest.seq), Some(2), "written at sync");

    // Raw history: every row exactly once, in order.
    let raw = plan(
        Some("cpu_percent,load1_per_core"),
        Some(&T0.to_string()),
        Some(&(T0 + 120_000).to_string()),
        Some("raw"),
        None,
    )
    .expect("plan");
    let points = store.history("m1", &raw).await.expect("history");
    assert_eq!(points.len(), 120);
    assert_eq!(points[0].0, T0);
    assert_eq!(points[5].1[0], Some(6.0));
    assert!(points.windows(2).all(|w| w[0].0 < w[1].0));

    // Rollups after maintenance: 2 full minutes of 60 samples each.
    store.maintain(T0 + 10 * MINUTE, Retention::default()).await.expect("maintain");
    let minutes =
        plan(Some("cpu_percent"), Some(&T0.to_string()), Some(&(T0 + 2 * MINUTE).to_string()), Some("1m"), None)
            .expect("plan");
    assert_eq!(minutes.resolution, Resolution::Minute);
    let rolled = store.history("m1", &minutes).await.expect("1m history");
    assert_eq!(rolled.len(), 2, "{rolled:?}");
    assert_eq!(rolled[0].0, T0);
    let avg0 = rolled[0].1[0].expect("avg");
    assert!((avg0 - 30.5).abs() < 1e-9, "average of 1..=60 is 30.5, got {avg0}");
    let hours = plan(Some("cpu_percent"), Some(&T0.to_string()), Some(&(T0 + 3_600_000).to_string()), Some("1h"), None)
        .expect("plan");
    let hourly = store.history("m1", &hours).await.expect("1h history");
    assert_eq!(hourly.len(), 1);
    // cpu is seq % 100: 1..=99, 0, 1..=20 over the hour: (4950 + 210) / 120.
    assert!((hourly[0].1[0].expect("avg") - 43.0).abs() < 1e-9, "{hourly:?}");

    // Late samples (an agent's buffer arriving after the rollup) are rolled up again.
    let late: Vec<_> =
        (121..=180).map(|i| update("m1", "i1", i, T0 + (i as i64 - 121) * 1000 + 2 * MINUTE, 100.0)).collect();
    store.write(Arc::new(late)).await.expect("late write");
    store.maintain(T0 + 10 * MINUTE, Retention::default()).await.expect("maintain again");
    let minutes3 =
        plan(Some("cpu_percent"), Some(&T0.to_string()), Some(&(T0 + 3 * MINUTE).to_string()), Some("1m"), None)
            .expect("plan");
    assert_eq!(store.history("m1", &minutes3).await.expect("1m").len(), 3);

    // Retention: raw rows older than the raw window go, rollups stay.
    let keep_one_minute = Retention { raw: Duration::from_secs(60), ..Retention::default() };
    store.maintain(T0 + 3 * MINUTE + 30_000, keep_one_minute).await.expect("retention");
    let all_raw =
        plan(Some("cpu_percent"), Some(&T0.to_string()), Some(&(T0 + 4 * MINUTE).to_string()), Some("raw"), None)
            .expect("plan");
    let left = store.history("m1", &all_raw).await.expect("raw after retention");
    assert!(left.iter().all(|(ts, _)| *ts >= T0 + 2 * MINUTE + 30_000), "old raw rows remain");
    assert!(!left.is_empty());
    assert_eq!(store.history("m1", &minutes3).await.expect("1m").len(), 3, "rollups outlive raw retention");

    store.ping().await.expect("ping");
    alerts_and_rules(store).await;
}

async fn alerts_and_rules(store: Arc<dyn Store>) {
    use sysmonstm_hub::alerts::engine::{Alert, AlertState};
    use sysmonstm_hub::alerts::rule::{defaults, Severity};
    use sysmonstm_hub::store::AlertQuery;

    // Defaults are installed once, on a store that never had rules.
    let first = store.rules_or_defaults(defaults(T0)).await.expect("rules");
    assert_eq!(first.len(), 4);
    let mut edited = first[0].clone();
    edited.threshold = Some(75.0);
    edited.version = 2;
    store.put_rule(&edited).await.expect("put");
    for rule in &first {
        store.delete_rule(&rule.id).await.expect("delete");
    }
    store.put_rule(&edited).await.expect("put again");
    let again = store.rules_or_defaults(defaults(T0)).await.expect("rules");
    assert_eq!(again, vec![edited], "deleted defaults do not come back");

    let alert = |id: &str, machine: &str, started: i64| Alert {
        id: id.into(),
        rule_id: "r".into(),
        rule_name: "hot".into(),
        machine_id: machine.into(),
        severity: Severity::Critical,
        state: AlertState::Firing,
        value: 95.5,
        threshold: Some(90.0),
        started_at: started,
        resolved_at: None,
        top_processes: vec![sysmonstm_protocol::model::ProcessInfo {
            pid: 1,
            name: "x".into(),
            cpu_percent: 50.0,
            rss: 9,
        }],
    };
    store.put_alert(&alert("a1", "m1", T0)).await.expect("fire a1");
    store.put_alert(&alert("a2", "m2", T0 + 1000)).await.expect("fire a2");
    let mut resolved = alert("a1", "m1", T0);
    resolved.state = AlertState::Resolved;
    resolved.resolved_at = Some(T0 + 5000);
    resolved.value = 40.0;
    store.put_alert(&resolved).await.expect("resolve a1");
    let all = store.alerts(&AlertQuery { limit: 10, ..Default::default() }).await.expect("alerts");
    assert_eq!(all.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), vec!["a2", "a1"], "newest first");
    assert_eq!(all[1], resolved);
    let firing = store
        .alerts(&AlertQuery { state: Some(AlertState::Firing), limit: 10, ..Default::default() })
        .await
        .expect("firing");
    assert_eq!(firing.len(), 1);
    assert_eq!(firing[0].top_processes[0].name, "x");
    let m1 =
        store.alerts(&AlertQuery { machine: Some("m1".into()), limit: 10, ..Default::default() }).await.expect("m1");
    assert_eq!(m1.len(), 1);
    let since =
        store.alerts(&AlertQuery { since: Some(T0 + 500), limit: 10, ..Default::default() }).await.expect("since");
    assert_eq!(since.len(), 1);
    assert_eq!(store.alerts(&AlertQuery { limit: 1, ..Default::default() }).await.expect("limit").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("test.db");
    let store = sysmonstm_hub::store::sqlite::SqliteStore::open(&path).await.expect("open");
    suite(Arc::new(store)).await;
    // Migrations are idempotent: opening again applies nothing and keeps the data.
    let again = sysmonstm_hub::store::sqlite::SqliteStore::open(&path).await.expect("reopen");
    assert_eq!(again.last_seq("m1", "i1").await.expect("last_seq"), 180);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store() {
    let server = common::postgres::PgServer::start();
    let store = sysmonstm_hub::store::postgres::PostgresStore::connect(&server.url()).await.expect("connect");
    assert!(store.describe().starts_with("postgres"), "{}", store.describe());
    suite(Arc::new(store)).await;
    // Migrations are idempotent: connecting again applies nothing and keeps the data.
    let again = sysmonstm_hub::store::postgres::PostgresStore::connect(&server.url()).await.expect("reconnect");
    assert_eq!(again.last_seq("m1", "i1").await.expect("last_seq"), 180);
}
