//! When notifications go: a silence holds them back (the alert recorded,
//! marked silenced) until it ends while the alert still fires; a
//! maintenance window does the same on its days; repeats go out until
//! someone acknowledges; five machines of one group firing together go as
//! one notification. Real hub, real agents, a receiver on loopback; the
//! alerting clock is moved ahead instead of waiting minutes.

mod common;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::receiver::Receiver;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

const TOKEN: &str = "test-admin-token";
const FAST: Duration = Duration::from_millis(200);
/// How long "nothing was sent" is watched.
const QUIET: Duration = Duration::from_millis(1500);

struct Setup {
    hub: TestHub,
    receiver: Receiver,
    offset: Arc<AtomicI64>,
    channel: String,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    config.admin_token = Some(TOKEN.into());
    config.allow_private_webhooks = true;
    let offset = Arc::new(AtomicI64::new(0));
    config.alert_clock_offset = Some(offset.clone());
    let hub = TestHub::start_with(config, dir);
    let receiver = Receiver::start().await;
    let (status, made) = post(
        &hub,
        "/api/channels",
        json!({"name": "hook", "kind": "webhook",
        "url": format!("{}/hook", receiver.base)}),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    Setup { hub, receiver, offset, channel: made["id"].as_str().expect("id").to_owned() }
}

async fn post(hub: &TestHub, path: &str, body: Value) -> (u16, Value) {
    send_json(Method::POST, &format!("{}{path}", hub.http()), Some(TOKEN), &body).await
}

async fn firing(hub: &TestHub, machine: &str) -> Value {
    let url = format!("{}/api/alerts?state=firing&machine={machine}", hub.http());
    eventually("the alert fires", || async {
        let (_, list) = get_json(&url).await;
        list.as_array().and_then(|l| l.first().cloned())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silenced_alert_is_recorded_and_notified_only_when_the_silence_ends() {
    let Setup { hub, mut receiver, offset, channel } = setup().await;
    let now = sysmonstm_hub::now_ms();
    let (status, silence) = post(
        &hub,
        "/api/silences",
        json!({"machines": "quiet-*", "ends_at": now + 60_000,
        "comment": "kernel upgrade", "created_by": "alice"}),
    )
    .await;
    assert_eq!(status, 201, "{silence}");
    assert_eq!(silence["state"], json!("active"));
    assert!(silence["created_by"].as_str().expect("creator").starts_with("alice (admin:"), "{silence}");
    let (status, _) = post(
        &hub,
        "/api/rules",
        json!({"name": "busy", "metric": "cpu_percent", "comparison": ">=",
        "threshold": 0, "channels": [channel]}),
    )
    .await;
    assert_eq!(status, 201);
    let mut agent = TestAgent::start(&hub.grpc(), "quiet-1", FAST, None);

    let alert = firing(&hub, "quiet-1").await;
    assert_eq!(alert["silenced"], json!(true), "recorded, marked silenced: {alert}");
    assert!(receiver.next_within(QUIET).await.is_none(), "a silenced alert notifies no one");
    let metrics = reqwest::get(format!("{}/metrics", hub.http())).await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains("sysmonstm_alerts_silenced 1"), "{metrics}");

    // The silence ends (the clock moves past it) while the alert fires: notified then.
    offset.store(61_000, Ordering::Relaxed);
    let got = receiver.next().await.json();
    assert_eq!((got["state"].clone(), got["alert"]["id"].clone()), (json!("firing"), alert["id"].clone()));
    assert_eq!(got["alert"]["silenced"], json!(false));
    let (_, list) = get_json(&format!("{}/api/silences", hub.http())).await;
    assert_eq!(list[0]["state"], json!("expired"), "{list}");
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maintenance_window_holds_notifications_and_expiring_it_releases_them() {
    let Setup { hub, mut receiver, channel, .. } = setup().await;
    // Every day, all day long (from 00:00 for 7 days): active now, wherever now is.
    let every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let (status, window) = post(
        &hub,
        "/api/silences",
        json!({"labels": {"role": "db"},
        "recurring": {"days": every_day, "start": "00:00", "duration": "7d", "time_zone": "America/New_York"}}),
    )
    .await;
    assert_eq!(status, 201, "{window}");
    assert_eq!(window["state"], json!("active"));
    let mut agent = TestAgent::run(sysmonstm_agent::AgentConfig {
        labels: [("role".to_owned(), "db".to_owned())].into(),
        ..TestAgent::config(&hub.grpc(), "db-1", FAST, None)
    });
    wait_status(&hub.http(), "db-1", "online").await;
    let (status, _) = post(
        &hub,
        "/api/rules",
        json!({"name": "busy db", "metric": "cpu_percent",
        "comparison": ">=", "threshold": 0, "channels": [channel]}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(firing(&hub, "db-1").await["silenced"], json!(true));
    assert!(receiver.next_within(QUIET).await.is_none(), "held back by the window");
    let id = window["id"].as_str().expect("id");
    let (status, expired) =
        send_json(Method::DELETE, &format!("{}/api/silences/{id}", hub.http()), Some(TOKEN), &Value::Null).await;
    assert_eq!((status, expired["state"].clone()), (200, json!("expired")), "{expired}");
    assert_eq!(receiver.next().await.json()["alert"]["machine_id"], json!("db-1"), "released at once");

    // Bad windows and silences name their field.
    for (body, field) in [
        (
            json!({"recurring": {"days": ["sat"], "start": "22:00", "duration": "4h", "time_zone": "Nowhere/Else"}}),
            "recurring.time_zone",
        ),
        (json!({"starts_at": sysmonstm_hub::now_ms() + 5000, "ends_at": sysmonstm_hub::now_ms() + 1000}), "ends_at"),
        (json!({"ends_at": sysmonstm_hub::now_ms() + 400 * 86_400_000_i64}), "ends_at"),
        (json!({"ends_at": sysmonstm_hub::now_ms() + 1000, "rule_id": "nope"}), "rule_id"),
    ] {
        let (status, refused) = post(&hub, "/api/silences", body.clone()).await;
        assert_eq!((status, refused["field"].as_str()), (422, Some(field)), "{body} → {refused}");
    }
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeats_go_out_until_someone_acknowledges() {
    let Setup { hub, mut receiver, offset, channel } = setup().await;
    let (status, _) = post(
        &hub,
        "/api/rules",
        json!({"name": "busy", "metric": "cpu_percent", "comparison": ">=",
        "threshold": 0, "channels": [channel], "repeat_every": "5m"}),
    )
    .await;
    assert_eq!(status, 201);
    let mut agent = TestAgent::start(&hub.grpc(), "loud-1", FAST, None);
    let first = receiver.next().await.json();
    assert_eq!(first["state"], json!("firing"));
    assert!(receiver.next_within(QUIET).await.is_none(), "not again before 5 minutes");
    offset.store(5 * 60_000 + 1000, Ordering::Relaxed);
    let again = receiver.next().await.json();
    assert_eq!(again["alert"]["id"], first["alert"]["id"], "the same alert, again");
    offset.store(10 * 60_000 + 2000, Ordering::Relaxed);
    assert_eq!(receiver.next().await.json()["alert"]["id"], first["alert"]["id"], "and again");

    let id = first["alert"]["id"].as_str().expect("id");
    let ack = format!("/api/alerts/{id}/ack");
    let (status, acked) = post(&hub, &ack, json!({"comment": "looking into it", "by": "bob"})).await;
    assert_eq!(status, 200, "{acked}");
    assert!(acked["acknowledged"]["by"].as_str().expect("by").starts_with("bob (admin:"), "{acked}");
    assert_eq!(acked["acknowledged"]["comment"], json!("looking into it"));
    let (status, twice) = post(&hub, &ack, json!({})).await;
    assert_eq!(status, 409, "{twice}");
    let (status, _) = post(&hub, "/api/alerts/nope/ack", json!({})).await;
    assert_eq!(status, 404);
    offset.store(30 * 60_000, Ordering::Relaxed);
    assert!(receiver.next_within(QUIET).await.is_none(), "acknowledged: no more repeats");
    let (_, shown) = get_json(&format!("{}/api/alerts/{id}", hub.http())).await;
    assert_eq!(shown["acknowledged"]["comment"], json!("looking into it"), "kept with the alert");
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_machines_of_one_group_firing_together_go_as_one_notification() {
    let Setup { hub, mut receiver, channel, .. } = setup().await;
    let mut agents = Vec::new();
    for i in 1..=5 {
        let config = sysmonstm_agent::AgentConfig {
            labels: [("rack".to_owned(), "r1".to_owned())].into(),
            ..TestAgent::config(&hub.grpc(), &format!("rack1-{i}"), FAST, None)
        };
        agents.push(TestAgent::run(config));
    }
    let lone = sysmonstm_agent::AgentConfig {
        labels: [("rack".to_owned(), "r2".to_owned())].into(),
        ..TestAgent::config(&hub.grpc(), "rack2-1", FAST, None)
    };
    agents.push(TestAgent::run(lone));
    for i in 1..=5 {
        wait_status(&hub.http(), &format!("rack1-{i}"), "online").await;
    }
    wait_status(&hub.http(), "rack2-1", "online").await;
    let (status, rule) = post(
        &hub,
        "/api/rules",
        json!({"name": "rack hot", "metric": "cpu_percent",
        "comparison": ">=", "threshold": 0, "selector": "rack*", "channels": [channel],
        "group_by": ["rack"], "group_wait": "2s"}),
    )
    .await;
    assert_eq!(status, 201, "{rule}");
    let mut by_rack = std::collections::HashMap::new();
    for _ in 0..2 {
        let got = receiver.next().await.json();
        by_rack.insert(got["group"]["rack"].as_str().expect("group").to_owned(), got);
    }
    let mut machines: Vec<&str> = by_rack["r1"]["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| a["machine_id"].as_str().expect("id"))
        .collect();
    machines.sort_unstable();
    assert_eq!(
        machines,
        vec!["rack1-1", "rack1-2", "rack1-3", "rack1-4", "rack1-5"],
        "one notification, five machines"
    );
    assert_eq!(by_rack["r2"]["alerts"].as_array().map(Vec::len), Some(1));
    assert!(receiver.next_within(QUIET).await.is_none(), "nothing else");
    for agent in &mut agents {
        agent.stop().await;
    }
}
