//! Several hubs behind one PostgreSQL and one Redis: each shows the whole
//! fleet, each sample is stored once (by the hub holding its agent), an
//! agent survives the SIGKILL of its hub, and a Redis outage or flush only
//! pauses the shared view. Real servers, started by the test harness.

mod common;

use std::time::Duration;

use common::postgres::{stored_seqs, PgServer};
use common::redis::RedisServer;
use common::*;
use serde_json::Value;
use sysmonstm_hub::HubConfig;

const FAST: Duration = Duration::from_millis(200);

fn start_hub(pg: Option<&PgServer>, redis: &RedisServer, hub_id: &str) -> TestHub {
    let data = tempfile::tempdir().expect("dir");
    let mut config = HubConfig::ephemeral(data.path().to_path_buf());
    config.database_url = pg.map(PgServer::url);
    config.redis_url = Some(redis.url());
    config.hub_id = hub_id.into();
    TestHub::start_with(config, data)
}

/// `id`'s sample timestamp as `http` lists it, once listed online.
async fn online_ts(http: &str, id: &str) -> Option<i64> {
    machine(http, id).await.filter(|m| m["status"] == "online").and_then(|m| m["sample_ts"].as_i64())
}

/// Waits until `http` lists `id` online with a sample newer than `after`.
async fn fresh_at(http: &str, id: &str, after: i64) -> i64 {
    eventually(&format!("{id} fresh at {http}"), || async { online_ts(http, id).await.filter(|ts| *ts > after) }).await
}

async fn ready(http: &str) -> Value {
    get_json(&format!("{http}/ready")).await.1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hubs_show_one_fleet_and_store_each_sample_once() {
    let pg = PgServer::start();
    let redis = RedisServer::start();
    let a = start_hub(Some(&pg), &redis, "hub-a");
    let b = start_hub(Some(&pg), &redis, "hub-b");
    let mut at_a = TestAgent::start(&a.grpc(), "on-a", FAST, None);
    let mut at_b = TestAgent::start(&b.grpc(), "on-b", FAST, None);
    let mut ws = ws_connect(&a.http()).await;

    for hub in [&a, &b] {
        for id in ["on-a", "on-b"] {
            fresh_at(&hub.http(), id, 0).await;
        }
    }
    // The remote machine has its detail, its live-chart ring and live frames.
    let (status, detail) = get_json(&format!("{}/api/machines/on-b", a.http())).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["hostname"], detail["host"]["hostname"]);
    assert!(detail["latest"]["seq"].as_u64() > Some(0), "{detail}");
    let seen_at_a = eventually("on-b's live-chart ring at hub A", || async {
        let seqs = recent_seqs(&a.http(), "on-b").await;
        (seqs.len() >= 3).then_some(seqs)
    })
    .await;
    assert!(seen_at_a.windows(2).all(|w| w[0] < w[1]), "ring in order: {seen_at_a:?}");
    ws_until(&mut ws, "on-b", |m| m["status"] == "online").await;
    let ready_a = ready(&a.http()).await;
    assert_eq!(ready_a["redis"]["ok"], true, "{ready_a}");
    assert_eq!(redis.machine_keys(), vec!["on-a".to_owned(), "on-b".to_owned()]);

    // The owning hub reports its machine offline to the other.
    at_b.stop().await;
    wait_status(&a.http(), "on-b", "offline").await;
    at_a.stop().await;
    tokio::time::sleep(Duration::from_millis(600)).await; // last batches committed

    // Each sample stored exactly once, though both hubs saw it live.
    for id in ["on-a", "on-b"] {
        let (count, distinct, min, max) = stored_seqs(&pg.url(), id).await;
        assert_eq!(count, distinct, "{id}: no seq stored twice");
        assert_eq!((min, count), (1, max), "{id}: no seq missing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_and_flush_only_pause_the_shared_view() {
    let mut redis = RedisServer::start();
    let a = start_hub(None, &redis, "hub-a");
    let b = start_hub(None, &redis, "hub-b");
    let _at_a = TestAgent::start(&a.grpc(), "out-a", FAST, None);
    let _at_b = TestAgent::start(&b.grpc(), "out-b", FAST, None);
    fresh_at(&a.http(), "out-b", 0).await;
    fresh_at(&b.http(), "out-a", 0).await;

    redis.kill();
    let report = eventually("/ready to report Redis", || async {
        let body = ready(&a.http()).await;
        (body["redis"]["ok"] == false).then_some(body)
    })
    .await;
    assert_eq!(report["status"], "ready", "a hub without Redis still serves its agents: {report}");
    assert!(report["redis"]["error"].as_str().is_some_and(|e| e.contains("redis")), "{report}");
    // Each hub keeps serving its own machines meanwhile.
    let own = online_ts(&a.http(), "out-a").await.expect("own machine listed");
    fresh_at(&a.http(), "out-a", own).await;

    redis.resume(); // empty: no persistence
    eventually("/ready to see Redis again", || async { (ready(&a.http()).await["redis"]["ok"] == true).then_some(()) })
        .await;
    let now = sysmonstm_hub::now_ms();
    fresh_at(&a.http(), "out-b", now).await;
    fresh_at(&b.http(), "out-a", now).await;
    eventually("machine keys written again", || async { (redis.machine_keys() == ["out-a", "out-b"]).then_some(()) })
        .await;

    redis.flush();
    eventually("machine keys rebuilt from live traffic after a flush", || async {
        (redis.machine_keys() == ["out-a", "out-b"]).then_some(())
    })
    .await;
    let now = sysmonstm_hub::now_ms();
    fresh_at(&a.http(), "out-b", now).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_started_later_sees_the_fleet_at_once() {
    let redis = RedisServer::start();
    let a = start_hub(None, &redis, "hub-a");
    // One sample, then silence: the late hub can only learn of the machine
    // from its key in Redis. A 10 s interval: offline only after 30 s of
    // silence, so a late hub slow to start (a busy machine) still finds it online.
    let mut first = hello("early", "i-1");
    if let Some(sysmonstm_protocol::pb::agent_message::Msg::Hello(h)) = &mut first.msg {
        h.interval_ms = 10_000;
    }
    let agent = RawAgent::open(&a.grpc(), None, first).await.expect("stream opens");
    agent.send(sample(1)).await;
    let http_a = a.http();
    eventually("the sample at hub A", || machine(&http_a, "early")).await;
    eventually("the machine key", || async { (redis.machine_keys() == ["early"]).then_some(()) }).await;
    let late = start_hub(None, &redis, "hub-late");
    let http_late = late.http();
    // Online: before hub A's "offline" (30 s of silence) could tell it.
    let listed = eventually("the late hub to list the machine online", || async {
        machine(&http_late, "early").await.filter(|m| m["status"] == "online")
    })
    .await;
    assert_eq!(listed["cpu_percent"], 11.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_survives_sigkill_of_its_hub_without_loss() {
    let pg = PgServer::start();
    let redis = RedisServer::start();
    let (dir1, dir2) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let ports = [(free_port(), free_port()), (free_port(), free_port())];
    let flags =
        |id: &'static str| ["--database-url", &pg.url(), "--redis-url", &redis.url(), "--hub-id", id].map(String::from);
    let f1 = flags("hub-1");
    let f2 = flags("hub-2");
    let mut first = spawn_hub(ports[0].0, ports[0].1, dir1.path(), &f1.each_ref().map(String::as_str));
    let mut second = spawn_hub(ports[1].0, ports[1].1, dir2.path(), &f2.each_ref().map(String::as_str));
    let http = ports.map(|(h, _)| format!("http://127.0.0.1:{h}"));
    for url in &http {
        eventually("hub up", || async { reqwest::get(format!("{url}/health")).await.ok().map(|_| ()) }).await;
    }
    let hubs = format!("http://127.0.0.1:{},http://127.0.0.1:{}", ports[0].1, ports[1].1);
    let mut agent = TestAgent::start(&hubs, "it-kill-multi", FAST, None);
    // Hub 2 sees the machine through Redis while hub 1 holds it.
    let before = fresh_at(&http[1], "it-kill-multi", 0).await;
    let (_, detail) = get_json(&format!("{}/api/machines/it-kill-multi", http[0])).await;
    let seq_before = detail["latest"]["seq"].as_u64().expect("seq");

    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");
    eventually("the agent streaming to hub 2", || async {
        let (status, detail) = get_json(&format!("{}/api/machines/it-kill-multi", http[1])).await;
        (status == 200 && detail["status"] == "online" && detail["latest"]["seq"].as_u64() >= Some(seq_before + 10))
            .then_some(())
    })
    .await;
    assert!(online_ts(&http[1], "it-kill-multi").await > Some(before));
    agent.stop().await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let _ = std::process::Command::new("kill").args(["-TERM", &second.id().to_string()]).status();
    second.wait().expect("hub 2 stops");

    let (count, distinct, min, max) = stored_seqs(&pg.url(), "it-kill-multi").await;
    assert_eq!(count, distinct, "no seq stored twice");
    assert_eq!((min, count), (1, max), "no seq lost across the SIGKILL (1..{max})");
    assert!(max as u64 >= seq_before + 10);
}

/// The hubs' Redis script keeps the state viewers see by the same rule the
/// registry and the relay apply ("newest sample wins", from elsewhere:
/// an equal sample replaces, an older one does not), run on a real Redis.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_script_and_the_viewer_side_agree_on_which_state_wins() {
    use deadpool_redis::redis;
    let redis_server = RedisServer::start();
    let client = redis::Client::open(redis_server.url()).expect("url");
    let mut conn = client.get_multiplexed_async_connection().await.expect("connects");
    let upsert = |key: String, ts: i64| {
        redis::cmd("EVAL")
            .arg(sysmonstm_hub::cluster::UPSERT_SCRIPT)
            .arg(1)
            .arg(key)
            .arg(ts)
            .arg("hub-test")
            .arg(format!("state at {ts}"))
            .arg(60_000)
            .arg("sysmonstm-test-channel")
            .to_owned()
    };
    for (case, (held, incoming)) in
        [(None, 5), (Some(5), 6), (Some(5), 5), (Some(5), 4), (Some(0), -1)].into_iter().enumerate()
    {
        let key = sysmonstm_hub::cluster::machine_key(&format!("case-{case}"));
        if let Some(held) = held {
            let stored: i64 = upsert(key.clone(), held).query_async(&mut conn).await.expect("EVAL");
            assert_eq!(stored, 1, "case {case}: the first state is stored");
        }
        let stored: i64 = upsert(key.clone(), incoming).query_async(&mut conn).await.expect("EVAL");
        let expected = sysmonstm_viewer::newest::replaces(held, incoming, false);
        assert_eq!(stored == 1, expected, "case {case}: held {held:?}, incoming {incoming}");
        let kept: String = redis::cmd("HGET").arg(&key).arg("state").query_async(&mut conn).await.expect("HGET");
        let winner = if expected { incoming } else { held.unwrap_or(incoming) };
        assert_eq!(kept, format!("state at {winner}"), "case {case}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_set_on_one_hub_reach_the_hub_holding_the_machine() {
    let pg = PgServer::start();
    let redis = RedisServer::start();
    let (a, b) = (start_hub(Some(&pg), &redis, "hub-a"), start_hub(Some(&pg), &redis, "hub-b"));
    let admin = std::fs::read_to_string(a.dir.path().join("admin-token")).expect("hub A's admin token");
    let mut agent = TestAgent::start(&b.grpc(), "on-b", FAST, None);
    fresh_at(&a.http(), "on-b", 0).await;
    let response = reqwest::Client::new()
        .patch(format!("{}/api/machines/on-b", a.http()))
        .bearer_auth(admin.trim())
        .json(&serde_json::json!({"labels": {"env": "prod"}, "display_name": "Bee"}))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(response.status().as_u16(), 200);
    // Hub B's session takes it from the database, and both hubs show it on
    // the samples that follow.
    for hub in [&b, &a] {
        let http = hub.http();
        eventually(&format!("{http} shows the label on fresh samples"), || {
            let http = http.clone();
            async move {
                let m = machine(&http, "on-b").await?;
                (m["labels"]["env"] == "prod" && m["display_name"] == "Bee").then_some(())
            }
        })
        .await;
    }
    let later = fresh_at(&a.http(), "on-b", online_ts(&b.http(), "on-b").await.unwrap_or(0)).await;
    assert!(later > 0);
    assert_eq!(machine(&a.http(), "on-b").await.expect("listed")["labels"]["env"], "prod", "B's own samples carry it");
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_machine_removed_on_one_hub_leaves_every_hub() {
    let pg = PgServer::start();
    let redis = RedisServer::start();
    let (a, b) = (start_hub(Some(&pg), &redis, "hub-a"), start_hub(Some(&pg), &redis, "hub-b"));
    let admin = std::fs::read_to_string(a.dir.path().join("admin-token")).expect("hub A's admin token");
    let mut agent = TestAgent::start(&b.grpc(), "leaves-b", FAST, None);
    fresh_at(&a.http(), "leaves-b", 0).await;
    let url = format!("{}/api/machines/leaves-b", a.http());
    // Streaming to B: A cannot end that stream, so it refuses even with force.
    let (status, error) =
        send_json(reqwest::Method::DELETE, &format!("{url}?force=true"), Some(admin.trim()), &Value::Null).await;
    assert_eq!((status, error["field"].as_str()), (409, Some("force")), "{error}");
    assert!(error["error"].as_str().is_some_and(|e| e.contains("hub-b")), "names the hub: {error}");

    agent.stop().await;
    wait_status(&a.http(), "leaves-b", "offline").await;
    let (status, _) = send_json(reqwest::Method::DELETE, &url, Some(admin.trim()), &Value::Null).await;
    assert_eq!(status, 200);
    for hub in [&a, &b] {
        let http = hub.http();
        eventually(&format!("{http} no longer lists it"), || {
            let http = http.clone();
            async move { machine(&http, "leaves-b").await.is_none().then_some(()) }
        })
        .await;
    }
    assert!(redis.machine_keys().iter().all(|k| !k.ends_with("leaves-b")), "its Redis key is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_rules_and_silences_made_on_one_hub_work_on_another() {
    let pg = PgServer::start();
    let redis = RedisServer::start();
    let hub = |id: &str| {
        let data = tempfile::tempdir().expect("dir");
        let mut config = HubConfig::ephemeral(data.path().to_path_buf());
        (config.database_url, config.redis_url, config.hub_id) = (Some(pg.url()), Some(redis.url()), id.into());
        config.admin_token = Some("shared-admin".into());
        config.allow_private_webhooks = true;
        TestHub::start_with(config, data)
    };
    let (a, b) = (hub("hub-a"), hub("hub-b"));
    let mut receiver = common::receiver::Receiver::start().await;
    let post = |base: String, path: &'static str, body: Value| async move {
        send_json(reqwest::Method::POST, &format!("{base}{path}"), Some("shared-admin"), &body).await
    };
    // A channel made on hub A can be named by a rule made on hub B.
    let (status, channel) = post(
        a.http(),
        "/api/channels",
        serde_json::json!({"name": "hook", "kind": "webhook",
            "url": format!("{}/hook", receiver.base)}),
    )
    .await;
    assert_eq!(status, 201, "{channel}");
    let rule = serde_json::json!({"name": "busy", "metric": "cpu_percent", "comparison": ">=", "threshold": 0,
        "selector": "shared-*", "channels": [channel["id"]]});
    let made = eventually("hub B knows hub A's channel", || {
        let (base, rule) = (b.http(), rule.clone());
        async move {
            let (status, made) = post(base, "/api/rules", rule).await;
            (status == 201).then_some(made)
        }
    })
    .await;
    // The rule made on B alerts on a machine streaming to A, through the channel.
    let mut agent = TestAgent::start(&a.grpc(), "shared-1", FAST, None);
    let got = receiver.next().await.json();
    assert_eq!(
        (got["alert"]["machine_id"].clone(), got["rule"]["id"].clone()),
        (serde_json::json!("shared-1"), made["id"].clone())
    );
    // A silence made on B holds the alert hub A evaluates.
    let (status, _) = post(
        b.http(),
        "/api/silences",
        serde_json::json!({"machines": "shared-*",
        "ends_at": sysmonstm_hub::now_ms() + 3_600_000}),
    )
    .await;
    assert_eq!(status, 201);
    eventually("hub A marks its alert silenced", || async {
        let (_, list) = get_json(&format!("{}/api/alerts?state=firing&machine=shared-1", a.http())).await;
        (list[0]["silenced"] == true).then_some(())
    })
    .await;
    agent.stop().await;
}
