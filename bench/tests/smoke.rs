//! A short load-generator run against a real hub: correctness (every sample
//! acked, no errors, latency measured), not speed.

use clap::Parser;
use sysmonstm_bench::LoadConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_agents_for_five_seconds() {
    let dir = tempfile::tempdir().expect("dir");
    let hub = sysmonstm_hub::start(
        sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf()),
        sysmonstm_protocol::logging::discard(),
    )
    .expect("hub starts");
    let config = LoadConfig::parse_from([
        "sysmonstm-loadgen",
        "--hub",
        &format!("http://{}", hub.grpc_addr),
        "--ws-url",
        &format!("ws://{}/ws", hub.http_addr),
        "--agents",
        "200",
        "--interval",
        "1s",
        "--duration",
        "5s",
        "--ramp",
        "1s",
        "--hub-pid",
        &std::process::id().to_string(),
    ]);
    let report = sysmonstm_bench::run(config).await;
    assert_eq!(report.errors, 0, "{:?}", report.error_messages);
    assert_eq!(report.connected, 200);
    assert!(report.samples_sent >= 200 * 5, "{} sent", report.samples_sent);
    assert_eq!(report.samples_acked, report.samples_sent, "every sample acked");
    assert!(report.ack_ms.is_some() && report.e2e_ms.is_some(), "{report:?}");
    assert!(report.hub_rss_mb.is_some_and(|mb| mb > 0.0));
    let json = serde_json::to_value(&report).expect("report encodes");
    for key in ["samples_sent", "samples_acked", "errors", "ack_ms", "e2e_ms", "hub_cpu_cores", "hub_rss_mb"] {
        assert!(json.get(key).is_some(), "JSON lacks {key}");
    }
    tokio::task::spawn_blocking(move || hub.stop()).await.expect("hub stops");
}
