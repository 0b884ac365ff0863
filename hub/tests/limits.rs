//! Caps on the gRPC port: connections open at once, and streams per
//! connection. Each test sets a small cap and shows what lies beyond it.

mod common;

use std::time::Duration;

use common::*;
use sysmonstm_protocol::pb::{agent_ingest_client::AgentIngestClient, hub_message};
use tonic::transport::Endpoint;

/// How long a refused or queued stream is given to (wrongly) get its Welcome.
const REFUSAL_WINDOW: Duration = Duration::from_secs(2);

fn hub_with(edit: impl FnOnce(&mut sysmonstm_hub::HubConfig)) -> TestHub {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    edit(&mut config);
    TestHub::start_with(config, dir)
}

/// A stream over `client` that got its Welcome.
async fn welcomed(client: AgentIngestClient<tonic::transport::Channel>, machine: &str) -> Result<RawAgent, String> {
    let mut agent = RawAgent::open_on(client, None, hello(machine, "i")).await.map_err(|s| s.to_string())?;
    match agent.next().await {
        Ok(Some(m)) if matches!(m.msg, Some(hub_message::Msg::Welcome(_))) => Ok(agent),
        other => Err(format!("no Welcome: {other:?}")),
    }
}

async fn connect(grpc: &str) -> Result<AgentIngestClient<tonic::transport::Channel>, String> {
    let channel = Endpoint::from_shared(grpc.to_owned())
        .map_err(|e| e.to_string())?
        .connect()
        .await
        .map_err(|e| sysmonstm_protocol::error_chain(&e))?;
    Ok(AgentIngestClient::new(channel))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_are_closed_and_counted() {
    let hub = hub_with(|c| c.max_agent_connections = 3);
    let mut open = Vec::new();
    for i in 0..3 {
        let client = connect(&hub.grpc()).await.expect("within the cap");
        open.push(welcomed(client, &format!("it-cap-{i}")).await.expect("within the cap"));
    }
    let beyond = async {
        let client = connect(&hub.grpc()).await?;
        welcomed(client, "it-cap-over").await
    };
    let refused = tokio::time::timeout(REFUSAL_WINDOW, beyond).await;
    assert!(!matches!(refused, Ok(Ok(_))), "a fourth connection got in");
    let metrics = reqwest::get(format!("{}/metrics", hub.http())).await.expect("metrics").text().await.expect("text");
    let refused_total = metrics
        .lines()
        .find_map(|l| l.strip_prefix("sysmonstm_grpc_connections_refused_total "))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .expect("refusal counter");
    assert!(refused_total >= 1, "{metrics}");
    // A closed connection frees its place.
    drop(open.pop());
    let again = eventually("a place after one connection closed", || async {
        let client = connect(&hub.grpc()).await.ok()?;
        welcomed(client, "it-cap-later").await.ok()
    })
    .await;
    drop(again);
    assert!(machines(&hub.http()).await.iter().all(|m| m["machine_id"] != "it-cap-over"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_beyond_the_per_connection_cap_wait_for_a_free_one() {
    let hub = hub_with(|c| c.max_streams_per_connection = 2);
    let client = connect(&hub.grpc()).await.expect("connects");
    let first = welcomed(client.clone(), "it-streams-1").await.expect("first stream");
    let _second = welcomed(client.clone(), "it-streams-2").await.expect("second stream");
    // The third stream on the same connection is held back by HTTP/2 flow
    // control (SETTINGS_MAX_CONCURRENT_STREAMS = 2) until one ends.
    let third = tokio::spawn(welcomed(client.clone(), "it-streams-3"));
    tokio::time::sleep(REFUSAL_WINDOW).await;
    assert!(!third.is_finished(), "a third concurrent stream was opened on one connection");
    drop(first);
    let third = tokio::time::timeout(WAIT, third).await.expect("third stream proceeds").expect("task");
    third.expect("welcomed once a stream ended");
}
