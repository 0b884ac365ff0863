//! The live path end to end: real agents stream to a real hub (in-process,
//! port 0), and the REST API, WebSocket and FleetQuery show them.

mod common;

use std::time::Duration;

use common::*;
use sysmonstm_protocol::pb::{self, fleet_query_client::FleetQueryClient};

const FAST: Duration = Duration::from_millis(200);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_appears_in_api_and_websocket() {
    let hub = TestHub::start();
    let http = hub.http();
    let mut ws = ws_connect(&http).await;
    let snapshot = ws_next(&mut ws).await;
    assert_eq!(snapshot["type"], "snapshot");
    assert_eq!(snapshot["machines"], serde_json::json!([]));

    let _agent = TestAgent::start(&hub.grpc(), "it-one", FAST, None);
    let summary = wait_status(&http, "it-one", "online").await;
    for field in [
        "hostname",
        "health",
        "last_seen",
        "sample_ts",
        "cpu_percent",
        "cpu_cores",
        "memory_percent",
        "memory_total",
        "memory_used",
        "disk_percent",
        "load1",
        "load5",
        "load15",
        "net_rx_bps",
        "net_tx_bps",
        "process_count",
    ] {
        assert!(!summary[field].is_null(), "summary lacks {field}: {summary}");
    }
    assert!(summary["memory_total"].as_u64().expect("bytes") > 0);
    assert!(summary["cpu_cores"].as_u64().expect("cores") >= 1);
    assert!(summary["sample_ts"].as_i64() <= summary["last_seen"].as_i64());

    let from_ws = ws_until(&mut ws, "it-one", |m| m["status"] == "online").await;
    assert_eq!(from_ws["hostname"], summary["hostname"]);

    let (status, detail) = get_json(&format!("{http}/api/machines/it-one")).await;
    assert_eq!(status, 200);
    assert_eq!(detail["machine_id"], "it-one");
    assert!(detail["host"]["memory_total"].as_u64().expect("host memory") > 0);
    assert!(!detail["latest"]["cpu"]["per_core_percent"].as_array().expect("cores").is_empty());
    assert!(detail["latest"]["seq"].as_u64().expect("seq") >= 1);

    let (status, stats) = get_json(&format!("{http}/api/stats")).await;
    assert_eq!(status, 200);
    assert_eq!(stats["agents_connected"], 1);
    assert_eq!(stats["browser_sessions"], 1);
    assert!(stats["samples_received_total"].as_u64().expect("total") >= 1);
    // The store's size is measured at start: the file, its tables, no limit.
    let storage = &stats["storage"];
    assert!(storage["total_bytes"].as_u64().expect("bytes") > 0, "{stats}");
    let tables: Vec<&str> =
        storage["tables"].as_array().expect("tables").iter().filter_map(|t| t["table"].as_str()).collect();
    for table in ["samples_recent", "chunks", "samples_1m", "samples_1h"] {
        assert!(tables.contains(&table), "{table} in {tables:?}");
    }
    assert!(storage["limit_bytes"].is_null());

    let (status, missing) = get_json(&format!("{http}/api/machines/nope")).await;
    assert_eq!(status, 404);
    assert!(missing["error"].as_str().expect("error text").contains("nope"));
    assert_eq!(get_json(&format!("{http}/health")).await.0, 200);
    let metrics = eventually("a stored sample in /metrics", || async {
        let text = reqwest::get(format!("{http}/metrics")).await.ok()?.text().await.ok()?;
        let stored =
            text.lines().find_map(|l| l.strip_prefix("sysmonstm_samples_stored_total "))?.parse::<f64>().ok()?;
        (stored >= 1.0).then_some(text)
    })
    .await;
    assert!(metrics.contains("sysmonstm_agents_connected 1"), "{metrics}");
    assert!(
        metrics.contains(r#"sysmonstm_machine_up{hostname="#) && metrics.contains(r#"machine_id="it-one"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("sysmonstm_machine_cpu_percent{"), "{metrics}");
    assert!(metrics.contains("# TYPE sysmonstm_samples_received_total counter"), "{metrics}");
    assert!(metrics.contains("sysmonstm_store_size_bytes "), "{metrics}");
    assert!(metrics.contains(r#"sysmonstm_store_table_size_bytes{table="chunks"}"#), "{metrics}");
    assert!(metrics.contains(r#"sysmonstm_store_dropped_for_space_total{kind="raw_chunks"} 0"#), "{metrics}");
    promtool_accepts(&metrics);
    assert_eq!(get_json(&format!("{http}/ready")).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_agents_and_fleet_query() {
    let hub = TestHub::start();
    let http = hub.http();
    let _a = TestAgent::start(&hub.grpc(), "it-a", FAST, None);
    let _b = TestAgent::start(&hub.grpc(), "it-b", FAST, None);
    wait_status(&http, "it-a", "online").await;
    wait_status(&http, "it-b", "online").await;
    let ids: Vec<_> = machines(&http).await.iter().map(|m| m["machine_id"].as_str().expect("id").to_owned()).collect();
    assert_eq!(ids, vec!["it-a", "it-b"]);

    let mut fleet = FleetQueryClient::connect(hub.grpc()).await.expect("gRPC connects");
    let list = fleet.list_machines(pb::ListMachinesRequest {}).await.expect("list").into_inner();
    assert_eq!(list.machines.len(), 2);
    assert!(list.machines.iter().all(|m| m.status == pb::MachineStatus::Online as i32));
    let one = fleet.get_machine(pb::GetMachineRequest { machine_id: "it-b".into() }).await.expect("get").into_inner();
    assert!(one.latest.expect("latest").seq >= 1);
    let missing = fleet.get_machine(pb::GetMachineRequest { machine_id: "zz".into() }).await.unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);

    let mut watch = fleet.watch(pb::WatchRequest {}).await.expect("watch").into_inner();
    let first = watch.message().await.expect("ok").expect("snapshot");
    assert!(first.snapshot);
    assert_eq!(first.machines.len(), 2);
    let next = watch.message().await.expect("ok").expect("update");
    assert!(!next.snapshot);
    assert_eq!(next.machines.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_close_turns_machine_offline_at_once() {
    let hub = TestHub::start();
    let http = hub.http();
    let mut agent = TestAgent::start(&hub.grpc(), "it-gone", FAST, None);
    wait_status(&http, "it-gone", "online").await;
    let mut ws = ws_connect(&http).await;
    agent.stop().await;
    let offline = ws_until(&mut ws, "it-gone", |m| m["status"] == "offline").await;
    assert_eq!(offline["machine_id"], "it-gone");
    // Offline machines stay listed.
    assert_eq!(machine(&http, "it-gone").await.expect("still listed")["status"], "offline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_agent_goes_offline_after_missed_intervals() {
    let hub = TestHub::start();
    let http = hub.http();
    let mut raw = RawAgent::open(&hub.grpc(), None, hello("it-silent", "i1")).await.expect("accepted");
    raw.send(sample(1)).await;
    raw.ack_at_least(1).await;
    wait_status(&http, "it-silent", "online").await;
    // The stream stays open but nothing more comes: 3 intervals of 1 s, at least 5 s.
    let started = std::time::Instant::now();
    wait_status(&http, "it-silent", "offline").await;
    assert!(started.elapsed() >= Duration::from_secs(3), "offline too early: {:?}", started.elapsed());
    drop(raw);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_restart_on_same_port_resumes_without_seq_gap() {
    let mut hub = TestHub::start();
    let http1 = hub.http();
    let (http_addr, grpc_addr) = (hub.handle().http_addr, hub.handle().grpc_addr);
    let grpc = hub.grpc();
    let _agent = TestAgent::start(&grpc, "it-restart", FAST, None);
    eventually("5 samples at the first hub", || async {
        let seqs = recent_seqs(&http1, "it-restart").await;
        (seqs.len() >= 5).then_some(())
    })
    .await;
    let before = recent_seqs(&http1, "it-restart").await;
    let last_before = *before.last().expect("seqs");
    hub.stop().await;
    // Down long enough for the agent to buffer several samples it could not send.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    config.http_addr = http_addr;
    config.grpc_addr = grpc_addr;
    let hub2 = TestHub::start_with(config, dir);
    let http2 = hub2.http();
    let after = eventually("the agent to resume and catch up", || async {
        let seqs = match machine(&http2, "it-restart").await {
            Some(_) => recent_seqs(&http2, "it-restart").await,
            None => return None,
        };
        (seqs.last().copied().unwrap_or(0) > last_before + 10).then_some(seqs)
    })
    .await;
    let first_after = after[0];
    // The new hub starts where the old one stopped (it may re-receive the one
    // sample that was applied but not yet acked when the hub went down)...
    assert!(first_after <= last_before + 2, "gap: old hub had up to {last_before}, new hub starts at {first_after}");
    // ...and from there every seq arrives exactly once, in order.
    let expected: Vec<u64> = (first_after..first_after + after.len() as u64).collect();
    assert_eq!(after, expected, "seqs at the new hub are not contiguous");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_update_changes_agent_interval_live() {
    let hub = TestHub::start();
    let http = hub.http();
    let _agent = TestAgent::start(&hub.grpc(), "it-interval", Duration::from_secs(1), None);
    wait_status(&http, "it-interval", "online").await;
    assert!(hub.handle().set_interval("it-interval", Duration::from_millis(150)).await, "agent connected");
    let (status, _) = get_json(&format!("{http}/api/machines/it-interval")).await;
    assert_eq!(status, 200);
    // At 1 s, 2 s would bring ~2 samples; at 150 ms it brings ~13.
    let before = recent_seqs(&http, "it-interval").await.len();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = recent_seqs(&http, "it-interval").await.len();
    assert!(after - before >= 6, "interval did not change: {before} -> {after} samples in 2 s");
    assert!(!hub.handle().set_interval("unknown", Duration::from_secs(1)).await);
}

/// Prometheus' own checker finds nothing to say about the scrape
/// (`$PROMTOOL`, the one scripts/test.sh fetched into target/promtool, or
/// promtool on the PATH).
fn promtool_accepts(metrics: &str) {
    use std::io::Write;
    let fetched = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/promtool/usr/bin/promtool");
    let promtool = std::env::var("PROMTOOL").unwrap_or_else(|_| {
        if fetched.exists() {
            fetched.display().to_string()
        } else {
            "promtool".into()
        }
    });
    let mut child = std::process::Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{promtool} runs (scripts/test.sh fetches it into target/promtool): {e}"));
    child.stdin.take().expect("stdin").write_all(metrics.as_bytes()).expect("scrape to promtool");
    let out = child.wait_with_output().expect("promtool finishes");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && said.trim().is_empty(), "promtool check metrics: {said}");
}
