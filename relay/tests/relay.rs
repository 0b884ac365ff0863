//! The relay on its own, started in-process on port 0, fed by a test
//! "hub" over the real `/ingest` WebSocket and watched by real viewers.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use sysmonstm_relay::RelayHandle;
use sysmonstm_testkit::{Ws, WAIT};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::{HeaderValue, AUTHORIZATION};
use tokio_tungstenite::tungstenite::Message;

const KEY: &str = "test-relay-key-0123456789";

fn start_relay(max_viewers: usize) -> RelayHandle {
    sysmonstm_testkit::start_relay(KEY, |config| config.max_viewers = max_viewers)
}

/// Opens `/ingest` with `key`; Err carries the HTTP status of a refusal.
async fn hub_link(relay: &RelayHandle, key: Option<&str>) -> Result<Ws, u16> {
    let mut request = relay.ws("/ingest").into_client_request().expect("request");
    if let Some(key) = key {
        request.headers_mut().insert(AUTHORIZATION, HeaderValue::from_str(&format!("Bearer {key}")).expect("header"));
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("unexpected connect error: {e}"),
    }
}

async fn viewer(relay: &RelayHandle) -> Ws {
    tokio_tungstenite::connect_async(relay.ws("/ws")).await.expect("viewer connects").0
}

async fn next_json(ws: &mut Ws) -> Value {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("frame in time") {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).expect("JSON frame"),
            Some(Ok(_)) => continue,
            other => panic!("connection ended: {other:?}"),
        }
    }
}

fn summary(id: &str, ts: i64, cpu: f64) -> String {
    format!(
        r#"{{"machine_id":"{id}","hostname":"{id}.example","status":"online","health":"ok","last_seen":{ts},"sample_ts":{ts},"cpu_percent":{cpu},"cpu_cores":4,"memory_percent":40.0,"memory_total":1,"memory_used":1,"disk_percent":1.0,"load1":0.1,"load5":0.1,"load15":0.1,"net_rx_bps":0.0,"net_tx_bps":0.0,"process_count":9}}"#
    )
}

fn frame(kind: &str, machines: &[String]) -> String {
    format!(r#"{{"type":"{kind}","machines":[{}]}}"#, machines.join(","))
}

/// Waits until `GET /api/machines` satisfies `check`.
async fn wait_listed(relay: &RelayHandle, check: impl Fn(&Value) -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (_, list) = get(&format!("{}/api/machines", relay.http())).await;
        if check(&list) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "machines never listed as expected: {list}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn push(link: &mut Ws, text: String) {
    link.send(Message::text(text)).await.expect("push");
}

async fn get(url: &str) -> (u16, Value) {
    let response = reqwest::get(url).await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_frames_reach_viewers_with_charts() {
    let relay = start_relay(100);
    let mut link = hub_link(&relay, Some(KEY)).await.expect("the right key is accepted");
    push(&mut link, frame("snapshot", &[summary("a", 1_000, 10.0), summary("b", 1_000, 20.0)])).await;
    push(&mut link, frame("update", &[summary("a", 2_000, 30.0)])).await;
    wait_listed(&relay, |list| list[0]["sample_ts"] == 2_000 && list[1]["machine_id"] == "b").await;

    let mut watcher = viewer(&relay).await;
    let snapshot = next_json(&mut watcher).await;
    assert_eq!(snapshot["type"], "snapshot");
    assert_eq!(snapshot["machines"][0]["machine_id"], "a");
    assert_eq!(snapshot["machines"][0]["cpu_percent"], 30.0);
    // One chart point shape for hub and relay: [ts, cpu, memory, seq], seq 0 where a relay cannot know it.
    assert_eq!(snapshot["recent"]["a"], serde_json::json!([[1000, 10.0, 40.0, 0], [2000, 30.0, 40.0, 0]]));

    push(&mut link, frame("update", &[summary("b", 3_000, 55.0)])).await;
    let update = next_json(&mut watcher).await;
    assert_eq!(update["type"], "update");
    assert_eq!(update["machines"][0]["machine_id"], "b");
    assert_eq!(update["machines"][0]["cpu_percent"], 55.0);
    let alert = r#"{"type":"alert","alert":{"id":7,"state":"firing","machine_id":"b"}}"#;
    push(&mut link, alert.to_owned()).await;
    assert_eq!(next_json(&mut watcher).await["alert"]["id"], 7);

    // A frame the relay cannot read is skipped; the link stays up.
    push(&mut link, "{\"type\":\"update\",\"machines\":[{\"nope\":1}]}".to_owned()).await;
    push(&mut link, frame("update", &[summary("a", 4_000, 1.0)])).await;
    assert_eq!(next_json(&mut watcher).await["machines"][0]["sample_ts"], 4_000);
    let (_, health) = get(&format!("{}/health", relay.http())).await;
    assert_eq!(health["hubs_connected"], 1, "{health}");
    assert_eq!(health["machines"], 2, "{health}");
    assert_eq!(health["frames_refused"], 1, "{health}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_or_missing_key_gets_401_before_the_upgrade() {
    let relay = start_relay(100);
    assert_eq!(hub_link(&relay, None).await.err(), Some(401));
    assert_eq!(hub_link(&relay, Some("test-relay-key-0123456780")).await.err(), Some(401));
    assert_eq!(hub_link(&relay, Some("")).await.err(), Some(401));
    let (_, health) = get(&format!("{}/health", relay.http())).await;
    assert_eq!(health["hubs_connected"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_are_read_only() {
    let relay = start_relay(100);
    let mut link = hub_link(&relay, Some(KEY)).await.expect("accepted");
    push(&mut link, frame("snapshot", &[summary("a", 1_000, 10.0)])).await;
    wait_listed(&relay, |list| list[0]["machine_id"] == "a").await;

    // What a viewer sends changes nothing and reaches no hub.
    let mut watcher = viewer(&relay).await;
    next_json(&mut watcher).await;
    watcher.send(Message::text(frame("update", &[summary("a", 9_000, 99.0)]))).await.expect("send");
    watcher.send(Message::text("garbage")).await.expect("send");
    push(&mut link, frame("update", &[summary("a", 2_000, 11.0)])).await;
    let update = next_json(&mut watcher).await;
    assert_eq!(update["machines"][0]["cpu_percent"], 11.0, "the viewer's frame was not applied");
    let (_, list) = get(&format!("{}/api/machines", relay.http())).await;
    assert_eq!(list[0]["sample_ts"], 2_000);
    let mut from_hub = tokio::time::timeout(Duration::from_millis(300), link.next()).await;
    assert!(!matches!(from_hub, Ok(Some(Ok(Message::Text(_))))), "nothing flows back to the hub: {from_hub:?}");

    // A frame over 4 KiB closes the viewer with 1009.
    watcher.send(Message::text("x".repeat(5000))).await.expect("send");
    let closed = loop {
        match tokio::time::timeout(WAIT, watcher.next()).await.expect("close in time") {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(closed.map(|f| u16::from(f.code)), Some(1009));

    // No write API: every other path and method is refused.
    let client = reqwest::Client::new();
    for (method, path) in [
        ("POST", "/api/rules"),
        ("PUT", "/api/rules/1"),
        ("DELETE", "/api/machines"),
        ("POST", "/api/machines"),
        ("POST", "/ingest"),
        ("GET", "/api/rules"),
        ("GET", "/api/alerts"),
        ("GET", "/api/machines/a/history"),
        ("GET", "/metrics"),
    ] {
        let url = format!("{}{path}", relay.http());
        let status = client
            .request(method.parse().expect("method"), &url)
            .body("{}")
            .send()
            .await
            .expect("request")
            .status()
            .as_u16();
        assert!(status == 404 || status == 405, "{method} {path}: {status}");
    }
    from_hub = tokio::time::timeout(Duration::from_millis(100), link.next()).await;
    assert!(!matches!(from_hub, Ok(Some(Ok(Message::Text(_))))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_is_served_read_only() {
    let relay = start_relay(100);
    let response = reqwest::get(format!("{}/", relay.http())).await.expect("page");
    assert_eq!(response.status(), 200);
    let csp = response.headers().get("content-security-policy").map(|v| v.to_str().unwrap_or_default().to_owned());
    assert!(csp.is_some_and(|c| c.contains("frame-ancestors 'none'")));
    let html = response.text().await.expect("html");
    assert!(html.contains("<body data-mode=\"relay\">"), "read-only marker");
    let js = reqwest::get(format!("{}/js/app.js", relay.http())).await.expect("js");
    assert_eq!(js.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_beyond_the_cap_get_503() {
    let relay = start_relay(2);
    let mut first = viewer(&relay).await;
    let mut second = viewer(&relay).await;
    next_json(&mut first).await;
    next_json(&mut second).await;
    match tokio_tungstenite::connect_async(relay.ws("/ws")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status().as_u16(), 503),
        other => panic!("third viewer should be refused, got {:?}", other.map(|_| ())),
    }
    drop(first);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Ok((mut third, _)) = tokio_tungstenite::connect_async(relay.ws("/ws")).await {
            assert_eq!(next_json(&mut third).await["type"], "snapshot");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "a freed slot is reused");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_that_never_reads_is_dropped_and_others_keep_up() {
    let relay = start_relay(100);
    let mut link = hub_link(&relay, Some(KEY)).await.expect("accepted");
    // A raw TCP viewer that completes the upgrade and then never reads.
    let addr = relay.addr;
    let mut stalled = tokio::net::TcpStream::connect(addr).await.expect("connect");
    use tokio::io::AsyncWriteExt;
    stalled
        .write_all(
            format!(
                "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .expect("upgrade request");
    let mut healthy = viewer(&relay).await;
    next_json(&mut healthy).await;
    // ~160 KB frames at 50 a second (a hub sends 4): far more than the
    // stalled viewer's socket buffers hold.
    let big: Vec<String> = (0..500).map(|i| summary(&format!("m{i:03}"), 1, 1.0)).collect();
    let mut last_ts = 0;
    for round in 1..=200i64 {
        let machines: Vec<String> =
            big.iter().map(|s| s.replace("\"sample_ts\":1,", &format!("\"sample_ts\":{round},"))).collect();
        push(&mut link, frame("update", &machines)).await;
        last_ts = round;
        tokio::time::sleep(Duration::from_millis(20)).await;
        while let Ok(Some(Ok(_))) = tokio::time::timeout(Duration::ZERO, healthy.next()).await {}
    }
    // The healthy viewer (reading as it goes) gets the last round.
    push(&mut link, frame("update", &[summary("m000", last_ts + 1, 2.0)])).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let frame = next_json(&mut healthy).await;
        if frame["machines"][0]["sample_ts"] == last_ts + 1 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "healthy viewer fell behind");
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, health) = get(&format!("{}/health", relay.http())).await;
        // Dropped, and its slot freed: only the healthy viewer is left.
        if health["viewers_dropped"].as_u64() >= Some(1) && health["viewers"] == 1 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the stalled viewer was never dropped: {health}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(stalled);
}
