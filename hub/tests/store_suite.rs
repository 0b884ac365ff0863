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
/// When the suite's samples (T0 to T0 + 3 min) are all due for sealing.
const SEALED: i64 = T0 + 14 * MINUTE;
const MINUTE: i64 = 60_000;

fn update(machine: &str, instance: &str, seq: u64, ts: i64, cpu: f64) -> Arc<MachineUpdate> {
    let labels = [("env".to_owned(), "prod".to_owned()), ("role".to_owned(), machine.to_owned())].into();
    let host =
        Arc::new(HostInfo { hostname: format!("{machine}.example"), cpu_cores: 4, labels, ..Default::default() });
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
    assert_eq!(known[0].host.labels.get("role").map(String::as_str), Some("m1"), "labels kept with the machine");
    assert_eq!(known[0].last_seen, T0 + 119_000 + 5);
    assert!(store.has_machine("m2").await.expect("has"));
    // Hub-side settings come back with the machine, replaced as a whole.
    let settings = sysmonstm_hub::machine_settings::MachineSettings {
        labels: [("team".to_owned(), "a".to_owned())].into(),
        display_name: Some("Machine two".into()),
        interval: Some(Duration::from_secs(5)),
    };
    store.put_machine_settings("m2", &settings).await.expect("settings");
    store.put_machine_settings("m2", &settings).await.expect("settings again");
    let known = store.known_machines().await.expect("known");
    assert_eq!((&known[0].settings, &known[1].settings), (&Default::default(), &settings));
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

    // Rollups after maintenance: 2 full minutes of 60 samples each. (Once
    // every sample's cell has ended and its grace passed, whatever the
    // instance's phase: cells are 10 minutes wide by default.)
    store.maintain(SEALED, Retention::default()).await.expect("maintain");
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
    store.maintain(SEALED, Retention::default()).await.expect("maintain again");
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

    forgetting(&*store).await;
    audit_log(&*store).await;
    store.ping().await.expect("ping");
    alerts_and_rules(store).await;
}

/// The audit log: appended, listed newest first, paged and filtered.
async fn audit_log(store: &dyn Store) {
    use sysmonstm_hub::audit::{Action, Actor, AuditEntry, AuditQuery};
    let actor = Actor::admin("token", Some("10.0.0.7".into()));
    for (i, (action, target)) in
        [(Action::RuleCreate, "r1"), (Action::MachineUpdate, "web-1"), (Action::MachineRemove, "web-1")]
            .into_iter()
            .enumerate()
    {
        let detail = serde_json::json!({"n": i, "labels": {"env": "prod"}});
        store.put_audit(&AuditEntry::new(&actor, action, target, detail, T0 + i as i64)).await.expect("audit");
    }
    let all = store.audit(&AuditQuery { limit: 10, ..Default::default() }).await.expect("list");
    assert_eq!(
        all.iter().map(|e| e.action).collect::<Vec<_>>(),
        [Action::MachineRemove, Action::MachineUpdate, Action::RuleCreate]
    );
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert_eq!((all[2].at, all[2].address.as_deref(), &all[2].actor), (T0, Some("10.0.0.7"), &actor.id));
    assert_eq!(all[1].detail["labels"]["env"], "prod", "detail kept as JSON");
    let page =
        store.audit(&AuditQuery { limit: 1, before: Some(all[0].id), ..Default::default() }).await.expect("page");
    assert_eq!(page.iter().map(|e| e.id).collect::<Vec<_>>(), [all[1].id]);
    let of_web = AuditQuery { limit: 10, target: Some("web-1".into()), ..Default::default() };
    assert_eq!(store.audit(&of_web).await.expect("target").len(), 2);
    let removals = AuditQuery { limit: 10, action: Some(Action::MachineRemove), ..Default::default() };
    assert_eq!(store.audit(&removals).await.expect("action").len(), 1);
}

/// Forgetting a machine keeps its history unless purged; a purged id
/// reporting again starts afresh. (After the suite's retention run: the
/// samples are newer than its horizon.)
async fn forgetting(store: &dyn Store) {
    let after = T0 + 4 * MINUTE;
    let all =
        plan(Some("cpu_percent"), Some(&after.to_string()), Some(&(after + MINUTE).to_string()), Some("raw"), None)
            .expect("plan");
    let samples = |machine: &str, instance: &str| -> Vec<_> {
        (1..=30).map(|i| update(machine, instance, i, after + i as i64 * 1000, 1.0)).collect()
    };
    let kept = samples("m3", "k3");
    let purged = samples("m4", "k4");
    store.write(Arc::new(kept.iter().chain(&purged).cloned().collect())).await.expect("write m3, m4");
    store.sync_machines().await.expect("sync");
    assert_eq!(store.history("m3", &all).await.expect("history").len(), 30);

    store.forget_machine("m3", false).await.expect("forget m3");
    store.forget_machine("m2", false).await.expect("forget m2");
    assert!(!store.has_machine("m3").await.expect("has"));
    let ids: Vec<String> = store.known_machines().await.expect("known").into_iter().map(|k| k.machine_id).collect();
    assert_eq!(ids, ["m1", "m4"]);
    assert!(!store.machine_settings().await.expect("settings").iter().any(|(id, _)| id == "m2"), "settings gone");
    assert_eq!(store.history("m3", &all).await.expect("history").len(), 30, "history kept");
    assert_eq!(store.last_seq("m3", "k3").await.expect("last_seq"), 30, "kept: an agent resumes after it");

    store.forget_machine("m4", true).await.expect("purge m4");
    assert!(!store.has_machine("m4").await.expect("has"));
    assert!(store.history("m4", &all).await.expect("history").is_empty(), "history purged");
    assert_eq!(store.last_seq("m4", "k4").await.expect("last_seq"), 0);
    // The same id and instance again: stored as new.
    store.write(Arc::new(purged[..5].to_vec())).await.expect("write m4 again");
    assert_eq!(store.history("m4", &all).await.expect("history").len(), 5);
    assert_eq!(store.last_seq("m4", "k4").await.expect("last_seq"), 5);
    assert_eq!(store.history("m3", &all).await.expect("m3").len(), 30, "other machines untouched");
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
        part: Some("/data".into()),
        labels: [("env".to_owned(), "prod".to_owned())].into(),
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
        silenced: false,
        acknowledged: None,
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
    let by_id = store.alerts(&AlertQuery { id: Some("a2".into()), limit: 10, ..Default::default() }).await.expect("id");
    assert_eq!((by_id.len(), by_id[0].labels.get("env").map(String::as_str)), (1, Some("prod")), "labels kept");
    notifications(&*store).await;
}

/// Channels (kept whole, secrets included) and the delivery log.
async fn notifications(store: &dyn Store) {
    use sysmonstm_hub::alerts::channel::{from_input, Kind, Stamp};
    use sysmonstm_hub::alerts::delivery::Delivery;
    use sysmonstm_hub::alerts::engine::AlertState;
    let stamp = Stamp { version: 1, created_at: T0, updated_at: T0 };
    let policy = sysmonstm_hub::alerts::address::Policy::default();
    let mail = from_input(
        &serde_json::json!({"name": "ops mail", "kind": "email", "smtp_host": "mail.example.com",
            "username": "hub", "password": "s3cret", "from": "hub@example.com", "to": ["ops@example.com"]}),
        "c-mail".into(),
        stamp,
        None,
        policy,
    )
    .expect("email channel");
    let later = Stamp { created_at: T0 + 1, ..stamp };
    let hook = from_input(
        &serde_json::json!({"name": "hook", "kind": "webhook", "url": "https://hooks.example.com/in",
            "secret": "0123456789abcdef"}),
        "c-hook".into(),
        later,
        None,
        policy,
    )
    .expect("webhook channel");
    store.put_channel(&mail).await.expect("put mail");
    store.put_channel(&hook).await.expect("put hook");
    assert_eq!(store.channels().await.expect("channels"), vec![mail.clone(), hook.clone()], "oldest first, whole");
    let mut renamed = hook.clone();
    renamed.name = "signed hook".into();
    renamed.version = 2;
    store.put_channel(&renamed).await.expect("replace");
    store.delete_channel("c-mail").await.expect("delete");
    assert_eq!(store.channels().await.expect("channels"), vec![renamed]);

    let attempt = |n: u32, ok: bool| Delivery {
        alert_id: "a1".into(),
        channel_id: "c-hook".into(),
        channel_name: "hook".into(),
        kind: Kind::Webhook,
        state: AlertState::Firing,
        attempt: n,
        at: T0 + i64::from(n),
        ok,
        error: (!ok).then(|| "HTTP 500".to_owned()),
    };
    store.put_delivery(&attempt(1, false)).await.expect("attempt 1");
    store.put_delivery(&attempt(2, true)).await.expect("attempt 2");
    assert_eq!(store.deliveries("a1").await.expect("deliveries"), vec![attempt(1, false), attempt(2, true)]);
    assert!(store.deliveries("a2").await.expect("none").is_empty());

    // Silences, kept whole; expiring rewrites one.
    use sysmonstm_hub::alerts::silence::{from_input as silence, Made};
    let made = |id: &str| Made { id: id.into(), created_by: "admin:abcd".into(), now: T0 };
    let once = silence(
        &serde_json::json!({"machines": "web-*", "ends_at": T0 + 3_600_000, "comment": "deploy"}),
        made("s1"),
        |_| true,
    )
    .expect("silence");
    let window = silence(
        &serde_json::json!({"recurring": {"days": ["sat"], "start": "22:00", "duration": "4h",
        "time_zone": "Europe/Berlin"}}),
        made("s2"),
        |_| true,
    )
    .expect("window");
    store.put_silence(&once).await.expect("put silence");
    store.put_silence(&window).await.expect("put window");
    let mut expired = once.clone();
    expired.expired_at = Some(T0 + 5);
    store.put_silence(&expired).await.expect("expire");
    assert_eq!(store.silences().await.expect("silences"), vec![expired, window]);

    // An alert's silenced mark and acknowledgement are kept, and a resolve keeps them.
    use sysmonstm_hub::alerts::engine::{Ack, Alert};
    use sysmonstm_hub::store::AlertQuery;
    let mut alerts =
        store.alerts(&AlertQuery { id: Some("a2".into()), limit: 1, ..Default::default() }).await.expect("a2");
    let mut marked: Alert = alerts.remove(0);
    marked.silenced = true;
    marked.acknowledged = Some(Ack { by: "alice".into(), at: T0 + 9, comment: "on it".into() });
    store.put_alert(&marked).await.expect("mark");
    let back = store.alerts(&AlertQuery { id: Some("a2".into()), limit: 1, ..Default::default() }).await.expect("a2");
    assert_eq!(back, vec![marked]);
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

/// A sample whose values all sit on their storage precision, so sealed
/// history must equal what was ingested exactly.
fn rich_update(machine: &str, instance: &str, seq: u64, ts: i64) -> Arc<MachineUpdate> {
    use sysmonstm_protocol::model::{DiskIo, LoadAvg, NetIo, ProcessInfo};
    let base = update(machine, instance, seq, ts, (seq % 97) as f64 + 0.25);
    let mut sample = (*base.latest).clone();
    sample.cpu.per_core_percent = (0..4).map(|c| ((seq + c) % 100) as f64 + 0.5).collect();
    sample.load = LoadAvg { load1: (seq % 7) as f64 * 0.5, load5: 1.25, load15: 1.0 };
    sample.memory.used = 4096 * (1000 + seq % 13);
    sample.disks.push(DiskUsage {
        mount_point: "/data".into(),
        percent: 70.0 + (seq % 3) as f64,
        ..Default::default()
    });
    sample.disk_io = vec![DiskIo { device: "sda".into(), read_bps: (seq * 512) as f64, ..Default::default() }];
    sample.net = vec![NetIo { interface: "eth0".into(), rx_bytes_total: seq * 1500, ..Default::default() }];
    sample.top_processes = vec![ProcessInfo {
        pid: 100 + (seq % 3) as u32,
        name: format!("p{}", seq % 3),
        cpu_percent: 12.5,
        rss: 1 << 20,
    }];
    let summary = MachineSummary::new(machine, &base.host, &sample, MachineStatus::Online, ts);
    MachineUpdate::new(summary, base.instance_id.clone(), base.host.clone(), Arc::new(sample))
}

/// The same points, values equal but for float rounding.
fn assert_same_points(a: &sysmonstm_hub::store::Points, b: &sysmonstm_hub::store::Points) {
    assert_eq!(a.len(), b.len());
    for (p, q) in a.iter().zip(b) {
        assert_eq!(p.0, q.0);
        for (x, y) in p.1.iter().zip(&q.1) {
            let (x, y) = (x.expect("value"), y.expect("value"));
            assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{x} vs {y} at {}", p.0);
        }
    }
}

fn every_metric(from: i64, to: i64, step: &str) -> sysmonstm_hub::store::history::Plan {
    let all: Vec<&str> = sysmonstm_hub::metrics::METRICS.iter().map(|m| m.name).collect();
    plan(Some(&all.join(",")), Some(&from.to_string()), Some(&to.to_string()), Some(step), None).expect("plan")
}

/// Sealing recent rows into chunks: nothing lost, nothing twice, history
/// the same before and after, rollups from the sealed samples.
/// `stored(machine)` counts what the store holds per instance (`common::count_instances`).
async fn sealing<F, Fut>(store: &dyn Store, unsealed: impl Fn() -> usize, stored: F)
where
    F: Fn(&'static str) -> Fut,
    Fut: std::future::Future<Output = Vec<(i64, i64, i64, i64)>>,
{
    let first: Vec<_> = (1..=300).map(|i| rich_update("s1", "i1", i, T0 + (i as i64 - 1) * 1000)).collect();
    store.write(Arc::new(first)).await.expect("write");
    let whole = every_metric(T0, T0 + 400_000, "raw");
    let before = store.history("s1", &whole).await.expect("history");
    assert_eq!(before.len(), 300);
    let minutes_before = store.history("s1", &every_metric(T0, T0 + 400_000, "1m")).await.expect("1m");
    assert_eq!(minutes_before.len(), 5, "unsealed samples count in minute history too");

    // All five minutes' cells have ended by then: everything is sealed.
    let sealed = store.seal(T0 + 400_000).await.expect("seal");
    assert_eq!(sealed, 300);
    assert_eq!(unsealed(), 0);
    assert_eq!(store.history("s1", &whole).await.expect("history"), before, "sealed history is what was ingested");
    assert_eq!(store.last_seq("s1", "i1").await.expect("last_seq"), 300);
    let minutes = store.history("s1", &every_metric(T0, T0 + 400_000, "1m")).await.expect("1m");
    assert_same_points(&minutes, &minutes_before);
    assert_eq!(stored("s1").await, vec![(300, 300, 1, 300)]);

    // A resend of sealed samples (an ack lost) with new ones: stored once.
    let resend: Vec<_> = (250..=310).map(|i| rich_update("s1", "i1", i, T0 + (i as i64 - 1) * 1000)).collect();
    store.write(Arc::new(resend)).await.expect("resend");
    assert_eq!(store.last_seq("s1", "i1").await.expect("last_seq"), 310);
    let across = store.history("s1", &whole).await.expect("history across raw and sealed");
    assert_eq!(across.len(), 310, "the resent samples are not shown twice");
    assert!(across.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(&across[..300], &before[..]);
    store.seal(T0 + 800_000).await.expect("seal again");
    assert_eq!(stored("s1").await, vec![(310, 310, 1, 310)], "sealing dropped the duplicates");
    let minutes = store.history("s1", &every_metric(T0, T0 + 400_000, "1m")).await.expect("1m");
    assert_eq!(minutes.len(), 6, "samples 301..=310 start a sixth minute");
    assert_same_points(&minutes[..5].to_vec(), &minutes_before); // duplicates are not rolled up twice

    // Late samples of another instance, into minutes already rolled up: weighted in.
    let late: Vec<_> = (1..=30).map(|i| rich_update("s1", "i2", i, T0 + (i as i64 - 1) * 2000)).collect();
    store.write(Arc::new(late)).await.expect("late");
    store.seal(T0 + 800_000).await.expect("seal late");
    let cpu_plan = plan(Some("cpu_percent"), Some(&T0.to_string()), Some(&(T0 + MINUTE).to_string()), Some("1m"), None)
        .expect("plan");
    let first_minute = store.history("s1", &cpu_plan).await.expect("1m")[0].1[0].expect("avg");
    let expected: f64 = ((1..=60).map(|i| (i % 97) as f64 + 0.25).sum::<f64>()
        + (1..=30).map(|i| (i % 97) as f64 + 0.25).sum::<f64>())
        / 90.0;
    assert!((first_minute - expected).abs() < 1e-9, "{first_minute} vs {expected}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_seals_history_into_chunks() {
    use sysmonstm_hub::store::{sqlite::SqliteStore, StoreOptions};
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("test.db");
    let options = StoreOptions { compact_after: Duration::from_secs(10) };
    let store = SqliteStore::open_with(&path, options).await.expect("open");
    let db = path.clone();
    sealing(
        &store,
        || store.unsealed_instances(),
        |m| {
            let db = db.clone();
            async move { common::sqlite_instances(&db, m) }
        },
    )
    .await;

    // Unsealed rows survive a restart and are sealed by the next hub.
    let more: Vec<_> = (311..=320).map(|i| rich_update("s1", "i1", i, T0 + (i as i64 - 1) * 1000)).collect();
    store.write(Arc::new(more)).await.expect("write");
    drop(store);
    let again = SqliteStore::open_with(&path, options).await.expect("reopen");
    assert_eq!(again.unsealed_instances(), 1);
    assert_eq!(again.last_seq("s1", "i1").await.expect("last_seq"), 320);
    assert_eq!(again.seal(T0 + 900_000).await.expect("seal"), 10);
    assert_eq!(common::sqlite_instances(&path, "s1")[0], (320, 320, 1, 320));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_seals_history_into_chunks() {
    use sysmonstm_hub::store::{postgres::PostgresStore, StoreOptions};
    let server = common::postgres::PgServer::start();
    let options = StoreOptions { compact_after: Duration::from_secs(10) };
    let store = PostgresStore::connect_with(&server.url(), options).await.expect("connect");
    let counted = |m: &'static str| {
        let store = &store;
        async move { common::count_instances(store.stored_samples(m).await.expect("stored")) }
    };
    sealing(&store, || store.unsealed_instances(), counted).await;

    // Chunks and rollups went into partitions named after their day.
    let parts = server.query("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid ORDER BY 1");
    for table in ["chunks", "samples_1m", "samples_1h"] {
        let name = sysmonstm_hub::store::partition::ALL
            .iter()
            .find(|p| p.table == table)
            .expect("partitioned")
            .holding(T0)
            .name;
        assert!(parts.contains(&name), "{name} in {parts:?}");
    }

    // Unsealed rows survive a restart and are sealed by the next hub;
    // a second hub on the same database never seals them twice.
    let more: Vec<_> = (311..=320).map(|i| rich_update("s1", "i1", i, T0 + (i as i64 - 1) * 1000)).collect();
    store.write(Arc::new(more)).await.expect("write");
    let other = PostgresStore::connect_with(&server.url(), options).await.expect("second hub");
    assert_eq!(other.unsealed_instances(), 1);
    assert_eq!(other.last_seq("s1", "i1").await.expect("last_seq"), 320);
    let (a, b) = tokio::join!(store.seal(T0 + 900_000), other.seal(T0 + 900_000));
    assert_eq!(a.expect("seal") + b.expect("seal"), 10, "the two hubs sealed the rows once between them");
    assert_eq!(counted("s1").await[0], (320, 320, 1, 320));

    // Retention drops whole partitions of days past the window.
    let day = 86_400_000;
    store
        .maintain(T0 + 3 * day, Retention { raw: Duration::from_secs(86_400), ..Retention::default() })
        .await
        .expect("retention");
    let parts = server.query("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid ORDER BY 1");
    let chunk_day = sysmonstm_hub::store::partition::CHUNKS.holding(T0).name;
    assert!(!parts.contains(&chunk_day), "{chunk_day} dropped: {parts:?}");
    assert!(counted("s1").await.is_empty(), "no raw sample older than the window is left");
    assert_eq!(store.history("s1", &every_metric(T0, T0 + 400_000, "1m")).await.expect("1m").len(), 6, "rollups stay");
}

/// What a version-1 hub left: 180 wide rows of `old` (cpu = seq, one
/// a second from T0), the first minute already rolled up. `ts(ms)` spells
/// a time for the backend; the statements run in order.
fn version_one_rows(ts: fn(i64) -> String) -> Vec<String> {
    use sysmonstm_hub::metrics::METRICS;
    let names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
    let mut sql = Vec::new();
    for seq in 1..=180_i64 {
        // Consistent with an empty detail: no disks, so the fullest is 0 %.
        let value = |n: &str| match n {
            "cpu_percent" => seq.to_string(),
            "disk_percent" => "0".into(),
            _ => "1".into(),
        };
        let values: Vec<String> = names.iter().map(|n| value(n)).collect();
        sql.push(format!(
            "INSERT INTO samples (machine_id, instance_id, seq, ts, {}, detail) VALUES ('old', 'v1', {seq}, {}, {}, '{{}}')",
            names.join(", "),
            ts(T0 + (seq - 1) * 1000),
            values.join(", ")
        ));
    }
    let cols: Vec<String> = names.iter().map(|n| format!("{n}_avg, {n}_max")).collect();
    let vals: Vec<&str> =
        names.iter().flat_map(|n| if *n == "cpu_percent" { ["30.5", "60"] } else { ["1", "1"] }).collect();
    sql.push(format!(
        "INSERT INTO samples_1m (machine_id, ts, samples, {}) VALUES ('old', {}, 60, {})",
        cols.join(", "),
        ts(T0),
        vals.join(", ")
    ));
    sql
}

/// After an upgrade: every version-1 sample readable, rolled up, and new
/// samples written beside them, sealed, shown once.
async fn upgraded(store: &dyn Store) {
    assert_eq!(store.last_seq("old", "v1").await.expect("last_seq"), 180);
    let raw = every_metric(T0, T0 + 10 * MINUTE, "raw");
    let cpu = sysmonstm_hub::metrics::METRICS.iter().position(|m| m.name == "cpu_percent").expect("cpu");
    let before = store.history("old", &raw).await.expect("raw history");
    assert_eq!(before.len(), 180, "every version-1 sample");
    assert!(before.iter().enumerate().all(|(i, p)| p.1[cpu] == Some(i as f64 + 1.0)));
    let minutes = store.history("old", &every_metric(T0, T0 + 10 * MINUTE, "1m")).await.expect("1m");
    let avgs: Vec<f64> = minutes.iter().map(|p| p.1[cpu].expect("avg")).collect();
    assert_eq!(avgs, vec![30.5, 90.5, 150.5], "minutes the old hub had not rolled up are rolled up at upgrade");

    // Converted into chunks in bounded runs while the hub serves: the same
    // history after, the rollups not counted twice.
    let mut consumed = Vec::new();
    loop {
        match store.convert_legacy().await.expect("convert") {
            0 => break,
            n => consumed.push(n),
        }
    }
    assert_eq!(consumed.iter().sum::<usize>(), 180, "{consumed:?}");
    assert_eq!(store.convert_legacy().await.expect("nothing left"), 0);
    let converted = store.history("old", &raw).await.expect("raw history");
    assert!(converted == before, "converted history differs: {:?} vs {:?}", converted.first(), before.first());
    assert_eq!(store.last_seq("old", "v1").await.expect("last_seq"), 180);
    assert_eq!(store.history("old", &every_metric(T0, T0 + 10 * MINUTE, "1m")).await.expect("1m"), minutes);

    let new: Vec<_> = (181..=240).map(|i| rich_update("old", "v1", i, T0 + (i as i64 - 1) * 1000)).collect();
    store.write(Arc::new(new)).await.expect("write after upgrade");
    assert_eq!(store.seal(T0 + 10 * MINUTE).await.expect("seal"), 60);
    assert_eq!(store.last_seq("old", "v1").await.expect("last_seq"), 240);
    let after = store.history("old", &raw).await.expect("raw history");
    assert_eq!(after.len(), 240);
    assert_eq!(&after[..180], &before[..]);
    assert_eq!(store.history("old", &every_metric(T0, T0 + 10 * MINUTE, "1m")).await.expect("1m").len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_upgrades_version_one_history() {
    use sysmonstm_hub::store::migrate::SQLITE;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("test.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute(sysmonstm_hub::store::migrate::CREATE_TABLE, []).expect("table");
        for m in &SQLITE[..2] {
            conn.execute_batch(m.sql).expect("old migration");
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, 'then')",
                rusqlite::params![m.version, m.name],
            )
            .expect("record");
        }
        for sql in version_one_rows(|ms| ms.to_string()) {
            conn.execute(&sql, []).expect("old row");
        }
    }
    let options = sysmonstm_hub::store::StoreOptions { compact_after: Duration::from_secs(10) };
    let store = sysmonstm_hub::store::sqlite::SqliteStore::open_with(&path, options).await.expect("upgrade");
    upgraded(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_upgrades_version_one_history() {
    use sysmonstm_hub::store::migrate::{CREATE_TABLE, POSTGRES, POSTGRES_LATER, POSTGRES_PLAIN};
    let server = common::postgres::PgServer::start();
    {
        let (client, connection) =
            tokio_postgres::connect(&server.url(), tokio_postgres::NoTls).await.expect("connect");
        tokio::spawn(connection);
        client.batch_execute(CREATE_TABLE).await.expect("table");
        for m in POSTGRES.iter().chain([&POSTGRES_PLAIN]).chain(&POSTGRES_LATER[..1]) {
            client.batch_execute(m.sql).await.expect("old migration");
            client
                .execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 'then')",
                    &[&(m.version as i32), &m.name],
                )
                .await
                .expect("record");
        }
        for sql in version_one_rows(|ms| format!("to_timestamp({ms} / 1000.0)")) {
            client.batch_execute(&sql).await.expect("old row");
        }
    }
    let options = sysmonstm_hub::store::StoreOptions { compact_after: Duration::from_secs(10) };
    let store =
        sysmonstm_hub::store::postgres::PostgresStore::connect_with(&server.url(), options).await.expect("upgrade");
    upgraded(&store).await;
    let kinds = server
        .query("SELECT relname || ':' || relkind::text FROM pg_class WHERE relname IN ('samples_1m', 'samples_1h')");
    assert_eq!(kinds.len(), 2);
    assert!(kinds.iter().all(|k| k.ends_with(":p")), "rollups are partitioned tables now: {kinds:?}");
}

/// A sample whose values jump at random (a hash of its seq), as the load
/// generator's do: tens of bytes per sample sealed, not a few.
fn noisy_update(machine: &str, seq: u64, ts: i64) -> Arc<MachineUpdate> {
    let base = rich_update(machine, "i", seq, ts);
    let mut sample = (*base.latest).clone();
    // splitmix64's finaliser: neighbouring seqs give unrelated values.
    let noise = |k: u64| {
        let mut z = (seq << 8 | k).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % 10_000
    };
    sample.cpu.total_percent = noise(1) as f64 / 100.0;
    sample.cpu.per_core_percent = (0..4).map(|c| noise(10 + c) as f64 / 100.0).collect();
    sample.memory.used = 1 << 30 | noise(2) << 12;
    sample.net[0].rx_bytes_total = seq * 1000 + noise(3);
    sample.disk_io[0].read_bps = noise(4) as f64 * 17.0;
    let summary = MachineSummary::new(machine, &base.host, &sample, MachineStatus::Online, ts);
    MachineUpdate::new(summary, base.instance_id.clone(), base.host.clone(), Arc::new(sample))
}

/// `--max-disk`: with samples arriving for hours of (simulated) time, the
/// store keeps under the limit by dropping the oldest raw chunks, while
/// the rollups of the same hours stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_under_max_disk_dropping_oldest_raw_first() {
    use sysmonstm_hub::store::{sqlite::SqliteStore, StoreOptions};
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("test.db");
    let options = StoreOptions { compact_after: Duration::from_secs(10) };
    let store = SqliteStore::open_with(&path, options).await.expect("open");
    let limit: u64 = 1_500_000;
    let retention = Retention { max_disk: Some(limit), ..Retention::default() };
    let (machines, step) = (4, 10 * MINUTE);
    let mut dropped = 0;
    let mut seq = 0;
    for window in 0..24 {
        let start = T0 + window * step;
        let batch: Vec<_> = (0..machines)
            .flat_map(|m| {
                (0..step / 1000).map(move |s| (m, s)).map(|(m, s)| {
                    noisy_update(&format!("d{m}"), (window * step / 1000 + s + 1) as u64, start + s * 1000)
                })
            })
            .collect();
        seq += step / 1000;
        store.write(Arc::new(batch)).await.expect("write");
        let freed = store.maintain(start + step + MINUTE, retention).await.expect("maintain");
        assert_eq!((freed.minute_rows, freed.hour_rows), (0, 0), "raw goes first: {freed:?}");
        dropped += freed.raw_chunks;
        let usage = store.usage().await.expect("usage");
        assert!(usage.total_bytes <= limit, "window {window}: {} bytes over {limit}", usage.total_bytes);
    }
    assert!(dropped > 0, "the limit was reached and raw chunks dropped");
    let conn = rusqlite::Connection::open(&path).expect("open");
    let mode: i64 = conn.query_row("PRAGMA auto_vacuum", [], |r| r.get(0)).expect("pragma");
    assert_eq!(mode, 2, "a new database vacuums incrementally, so freed pages leave the file");
    assert_eq!(store.last_seq("d0", "i").await.expect("last_seq"), seq as u64, "the newest samples stay");
    let first_hour = every_metric(T0, T0 + 60 * MINUTE, "raw");
    assert!(store.history("d0", &first_hour).await.expect("raw").is_empty(), "the oldest raw samples went");
    let minutes = store.history("d0", &every_metric(T0, T0 + 60 * MINUTE, "1m")).await.expect("1m");
    assert_eq!(minutes.len(), 60, "their 1-minute rollups stay");
    let usage = store.usage().await.expect("usage").finish(Some(limit), 0);
    assert!(usage.oldest_raw_ms.expect("raw held") > T0 + 60 * MINUTE);
    assert_eq!(usage.oldest_minute_ms, Some(T0));
    assert!(usage.bytes_per_sample.expect("cost") > 0.0);
}

/// `--max-disk` on PostgreSQL: whole days of chunks go, oldest first,
/// today's never; rollups stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_under_max_disk_dropping_oldest_days() {
    use sysmonstm_hub::store::{postgres::PostgresStore, StoreOptions};
    let server = common::postgres::PgServer::start();
    let options = StoreOptions { compact_after: Duration::from_secs(10) };
    let store = PostgresStore::connect_with(&server.url(), options).await.expect("connect");
    let day = 86_400_000;
    // Four days, a sample every 20 s.
    let samples: Vec<_> = (0..4 * 4320).map(|i| noisy_update("p0", i as u64 + 1, T0 + i * 20_000)).collect();
    for batch in samples.chunks(4320) {
        store.write(Arc::new(batch.to_vec())).await.expect("write");
    }
    let now = T0 + 4 * day - MINUTE;
    store.maintain(now, Retention::default()).await.expect("seal and keep all");
    let used = store.usage().await.expect("usage").total_bytes;
    // A limit just above what is used: over the mark, a few days must go.
    let limit = used * 20 / 19;
    let freed = store.maintain(now, Retention { max_disk: Some(limit), ..Retention::default() }).await.expect("free");
    assert!(freed.raw_chunks > 0, "{freed:?}");
    assert_eq!((freed.minute_rows, freed.hour_rows), (0, 0), "raw goes first: {freed:?}");
    assert!(freed.after < freed.before, "{freed:?}");
    let parts = server.query("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid ORDER BY 1");
    let first_day = sysmonstm_hub::store::partition::CHUNKS.holding(T0).name;
    let today = sysmonstm_hub::store::partition::CHUNKS.holding(now).name;
    assert!(!parts.contains(&first_day) && parts.contains(&today), "{parts:?}");
    assert_eq!(store.last_seq("p0", "i").await.expect("last_seq"), 4 * 4320, "the newest samples stay");
    assert!(store.history("p0", &every_metric(T0, T0 + MINUTE * 60, "raw")).await.expect("raw").is_empty());
    let hours = store.history("p0", &every_metric(T0, T0 + 4 * day, "1h")).await.expect("1h");
    assert_eq!(hours.len(), 96, "rollups of the dropped days stay");
}
