//! The hub's RelayLink against a real relay (in-process, port 0): the whole
//! fleet of several hubs reaches public viewers, and a relay that is down,
//! refuses the key, or stalls never delays the hub.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::postgres::PgServer;
use common::redis::RedisServer;
use common::*;
use serde_json::Value;
use sysmonstm_hub::config::RelayTarget;
use sysmonstm_hub::HubConfig;

const KEY: &str = "relay-link-test-key-0123";
const FAST: Duration = Duration::from_millis(200);

fn hub_config(relay: SocketAddr, key: &str) -> (HubConfig, tempfile::TempDir) {
    let data = tempfile::tempdir().expect("dir");
    let mut config = HubConfig::ephemeral(data.path().to_path_buf());
    config.relay = Some(RelayTarget { url: format!("ws://{relay}/ingest"), api_key: key.into() });
    (config, data)
}

async fn relay_lists(relay: &str, id: &str) -> Option<Value> {
    let (_, list) = get_json(&format!("{relay}/api/machines")).await;
    list.as_array()?.iter().find(|m| m["machine_id"] == id).cloned()
}

/// Waits until the hub's own browsers see `id` with a sample newer than `after`.
async fn hub_stays_live(http: &str, id: &str, after: i64) -> i64 {
    let mut ws = ws_connect(http).await;
    let m = ws_until(&mut ws, id, |m| m["sample_ts"].as_i64() > Some(after)).await;
    m["sample_ts"].as_i64().expect("ts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleet_of_two_hubs_reaches_public_viewers() {
    let pg = PgServer::start();
    let redis = RedisServer::start();
    let relay = start_relay(KEY, |_| {});
    let start = |id: &str, with_relay: bool| {
        let (mut config, data) = hub_config(relay.addr, KEY);
        if !with_relay {
            config.relay = None;
        }
        config.database_url = Some(pg.url());
        config.redis_url = Some(redis.url());
        config.hub_id = id.into();
        TestHub::start_with(config, data)
    };
    let a = start("hub-a", true);
    let b = start("hub-b", false);
    let _on_a = TestAgent::start(&a.grpc(), "pub-a", FAST, None);
    let _on_b = TestAgent::start(&b.grpc(), "pub-b", FAST, None);
    for id in ["pub-a", "pub-b"] {
        eventually(&format!("{id} online at the relay"), || async {
            relay_lists(&relay.http(), id).await.filter(|m| m["status"] == "online")
        })
        .await;
    }
    // A viewer gets the snapshot with chart points, then live updates of a
    // machine the linked hub only knows through Redis.
    let url = format!("ws://{}/ws", relay.addr);
    let mut viewer = tokio_tungstenite::connect_async(url).await.expect("viewer connects").0;
    let snapshot = ws_next(&mut viewer).await;
    assert_eq!(snapshot["type"], "snapshot");
    assert!(snapshot["recent"]["pub-b"].as_array().is_some_and(|p| !p.is_empty()), "{}", snapshot["recent"]);
    let seen = snapshot["machines"].as_array().expect("machines").iter().find(|m| m["machine_id"] == "pub-b").cloned();
    let after = seen.and_then(|m| m["sample_ts"].as_i64()).expect("pub-b in the snapshot");
    ws_until(&mut viewer, "pub-b", |m| m["sample_ts"].as_i64() > Some(after)).await;
    let (_, health) = get_json(&format!("{}/health", relay.http())).await;
    assert_eq!(health["hubs_connected"], 1, "{health}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_down_then_up_is_joined_without_delaying_the_hub() {
    let port = free_port();
    let listen = SocketAddr::from(([127, 0, 0, 1], port));
    let (config, data) = hub_config(listen, KEY);
    let hub = TestHub::start_with(config, data);
    let mut agent = TestAgent::start(&hub.grpc(), "late-relay", FAST, None);
    // Nothing listens at the relay address: the hub serves and acks as usual.
    let ts = hub_stays_live(&hub.http(), "late-relay", 0).await;
    hub_stays_live(&hub.http(), "late-relay", ts).await;

    let relay = start_relay(KEY, |config| config.listen = listen);
    let relay_http = relay.http();
    eventually("the link to join the relay", || relay_lists(&relay_http, "late-relay")).await;
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_key_sends_nothing() {
    let relay = start_relay(KEY, |_| {});
    let (config, data) = hub_config(relay.addr, "not-the-relay-key-000");
    let hub = TestHub::start_with(config, data);
    let _agent = TestAgent::start(&hub.grpc(), "wrong-key", FAST, None);
    let ts = hub_stays_live(&hub.http(), "wrong-key", 0).await;
    hub_stays_live(&hub.http(), "wrong-key", ts + 1000).await;
    let (_, health) = get_json(&format!("{}/health", relay.http())).await;
    assert_eq!((health["hubs_connected"].as_u64(), health["machines"].as_u64()), (Some(0), Some(0)), "{health}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_relay_never_delays_the_hub() {
    // A "relay" that completes the WebSocket upgrade and then never reads.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let stalled = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            if let Ok(ws) = tokio_tungstenite::accept_async(stream).await {
                held.push(ws); // kept open, never read
            }
        }
    });
    let (config, data) = hub_config(addr, KEY);
    let hub = TestHub::start_with(config, data);
    // Many machines, so the link's frames fill the stalled socket quickly.
    let mut raws = Vec::new();
    for i in 0..200 {
        let raw = RawAgent::open(&hub.grpc(), None, hello(&format!("stall-{i:03}"), "i")).await.expect("open");
        raws.push(raw);
    }
    let mut agent = TestAgent::start(&hub.grpc(), "stall-watch", FAST, None);
    let mut ts = 0;
    for seq in 1..=20u64 {
        for raw in &raws {
            raw.send(sample(seq)).await;
        }
        ts = hub_stays_live(&hub.http(), "stall-watch", ts).await;
    }
    // Acks keep flowing: storage and the live path never waited for the relay.
    assert_eq!(raws[0].ack_at_least(20).await, 20);
    agent.stop().await;
    stalled.abort();
}
