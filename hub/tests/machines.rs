//! Removing machines (`DELETE /api/machines/{id}`: refusals, force, with
//! and without history, alerts resolving, viewers dropping them) and their
//! sampling interval set at the hub (`PATCH … {"interval"}`: reaches the
//! live agent, and again after it reconnects and after a hub restart).

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const ADMIN: &str = "admin-token-0123456789";
const FAST: Duration = Duration::from_millis(200);

fn admin_hub(dir: &std::path::Path) -> (sysmonstm_hub::HubConfig, TestHub) {
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.to_path_buf());
    config.admin_token = Some(ADMIN.into());
    let hub = TestHub::start_with(config.clone(), tempfile::tempdir().expect("unused"));
    (config, hub)
}

async fn delete(http: &str, path: &str, admin: Option<&str>) -> (u16, Value) {
    send_json(reqwest::Method::DELETE, &format!("{http}/api/machines/{path}"), admin, &Value::Null).await
}

/// Reads frames until `done` holds for one, returning it.
async fn ws_until_frame(ws: &mut Ws, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        assert!(std::time::Instant::now() < deadline, "no {what} on the websocket");
        let frame = ws_next(ws).await;
        if done(&frame) {
            return frame;
        }
    }
}

async fn has_samples(http: &str, id: &str, at_least: usize) {
    eventually("samples applied", || async move { (recent_seqs(http, id).await.len() >= at_least).then_some(()) })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_machines_with_and_without_history() {
    let dir = tempfile::tempdir().expect("dir");
    let (config, mut hub) = admin_hub(dir.path());
    let (http, grpc) = (hub.http(), hub.grpc());
    let mut keep = TestAgent::start(&grpc, "keep-1", FAST, None);
    let mut purge = TestAgent::start(&grpc, "purge-1", FAST, None);
    let mut live = TestAgent::start(&grpc, "live-1", FAST, None);
    for id in ["keep-1", "purge-1", "live-1"] {
        wait_status(&http, id, "online").await;
        has_samples(&http, id, 3).await;
    }
    let mut ws = ws_connect(&http).await;
    let busy = json!({"name": "live busy", "metric": "cpu_percent", "comparison": ">=", "threshold": 0,
                      "for": "0s", "selector": "live-*"});
    let (_, rule) = send_json(reqwest::Method::POST, &format!("{http}/api/rules"), Some(ADMIN), &busy).await;
    let of_rule = |state: &'static str| {
        let id = rule["id"].clone();
        move |f: &Value| f["type"] == "alert" && f["alert"]["rule_id"] == id && f["alert"]["state"] == state
    };
    let fired = ws_until_frame(&mut ws, "the rule firing", of_rule("firing")).await;
    keep.stop().await;
    purge.stop().await;
    wait_status(&http, "keep-1", "offline").await;
    wait_status(&http, "purge-1", "offline").await;

    // Refusals say what is wrong and remove nothing.
    assert_eq!(delete(&http, "keep-1", None).await.0, 401);
    assert_eq!(delete(&http, "nope", Some(ADMIN)).await.0, 404);
    for (query, field) in [("keep-1?force=maybe", "force"), ("keep-1?purge=all", "purge")] {
        let (status, error) = delete(&http, query, Some(ADMIN)).await;
        assert_eq!((status, error["field"].as_str()), (400, Some(field)), "{query}: {error}");
    }
    let (status, error) = delete(&http, "live-1", Some(ADMIN)).await;
    assert_eq!((status, error["field"].as_str()), (409, Some("force")), "{error}");
    assert!(error["error"].as_str().is_some_and(|e| e.contains("force=true")), "{error}");
    assert_eq!(machines(&http).await.len(), 3, "nothing removed");

    let (status, answer) = delete(&http, "keep-1", Some(ADMIN)).await;
    assert_eq!((status, answer["history"].as_str()), (200, Some("kept")), "{answer}");
    ws_until_frame(&mut ws, "keep-1 removed", |f| f["type"] == "removed" && f["machine_id"] == "keep-1").await;
    let (status, answer) = delete(&http, "purge-1?purge=history", Some(ADMIN)).await;
    assert_eq!((status, answer["history"].as_str()), (200, Some("deleted")), "{answer}");
    assert_eq!(delete(&http, "purge-1", Some(ADMIN)).await.0, 404, "already gone");

    // Forcing ends the live agent's stream; its alert resolves.
    let (status, _) = delete(&http, "live-1?force=true", Some(ADMIN)).await;
    assert_eq!(status, 200);
    let resolved = ws_until_frame(&mut ws, "the alert resolving", of_rule("resolved")).await;
    assert_eq!(resolved["alert"]["id"], fired["alert"]["id"]);
    let (status, _) = get_json(&format!("{http}/api/machines/keep-1/history?step=raw")).await;
    assert_eq!(status, 404, "a removed machine is unknown, its history kept aside");
    let listed: Vec<String> =
        machines(&http).await.iter().filter_map(|m| m["machine_id"].as_str().map(str::to_owned)).collect();
    assert!(!listed.contains(&"keep-1".to_owned()) && !listed.contains(&"purge-1".to_owned()), "{listed:?}");
    // An agent still running comes back: removal does not block its id.
    wait_status(&http, "live-1", "online").await;

    live.stop().await;
    hub.stop().await;
    let db = dir.path().join(sysmonstm_hub::store::sqlite::FILE_NAME);
    let kept = sqlite_instances(&db, "keep-1");
    assert!(kept.first().is_some_and(|(stored, ..)| *stored >= 3), "history kept, every sample applied: {kept:?}");
    assert!(sqlite_instances(&db, "purge-1").is_empty(), "history purged");

    // A restarted hub does not bring them back; keep-1 reporting again finds its past.
    let hub = TestHub::start_with(config, tempfile::tempdir().expect("unused"));
    assert!(machine(&hub.http(), "keep-1").await.is_none());
    assert!(machine(&hub.http(), "purge-1").await.is_none());
    let _back = TestAgent::start(&hub.grpc(), "keep-1", FAST, None);
    wait_status(&hub.http(), "keep-1", "online").await;
    let (status, history) = get_json(&format!("{}/api/machines/keep-1/history?step=raw", hub.http())).await;
    assert_eq!(status, 200, "{history}");
    let points = history["points"].as_array().map_or(0, Vec::len);
    assert!(points >= 3, "the kept history is found again: {history}");
}

/// The gap (ms) between the machine's last two live-chart points.
async fn last_gap(http: &str, id: &str) -> Option<i64> {
    let (_, body) = get_json(&format!("{http}/api/machines/{id}/recent")).await;
    let points = body["points"].as_array()?;
    let ts = |p: &Value| p[0].as_i64();
    Some(ts(points.last()?)? - ts(points.get(points.len().checked_sub(2)?)?)?)
}

async fn sampled_every_second(http: &str, id: &str) {
    eventually("samples a second apart", || async move { last_gap(http, id).await.filter(|gap| *gap >= 900) }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interval_set_at_the_hub_reaches_the_agent_and_survives_reconnects() {
    let dir = tempfile::tempdir().expect("dir");
    let (config, mut hub) = admin_hub(dir.path());
    let (http, grpc) = (hub.http(), hub.grpc());
    let mut agent = TestAgent::start(&grpc, "timed-1", FAST, None);
    wait_status(&http, "timed-1", "online").await;
    has_samples(&http, "timed-1", 3).await;
    assert!(last_gap(&http, "timed-1").await.is_some_and(|gap| gap < 900), "the agent's own 200 ms");

    let patch = |http: String, body: Value| async move {
        send_json(reqwest::Method::PATCH, &format!("{http}/api/machines/timed-1"), Some(ADMIN), &body).await
    };
    let (status, error) = patch(http.clone(), json!({"interval": "100ms"})).await;
    assert_eq!((status, error["field"].as_str()), (422, Some("interval")), "{error}");
    let (status, _) = patch(http.clone(), json!({"interval": "1s"})).await;
    assert_eq!(status, 200);
    sampled_every_second(&http, "timed-1").await;
    let (_, detail) = get_json(&format!("{http}/api/machines/timed-1")).await;
    assert_eq!(detail["settings"]["interval"], "1s", "{}", detail["settings"]);

    // The agent restarts with its own 200 ms: the hub's Welcome says 1 s again.
    agent.stop().await;
    let mut agent = TestAgent::start(&grpc, "timed-1", FAST, None);
    wait_status(&http, "timed-1", "online").await;
    has_samples(&http, "timed-1", 2).await;
    sampled_every_second(&http, "timed-1").await;

    // And after the hub restarts.
    agent.stop().await;
    hub.stop().await;
    let hub = TestHub::start_with(config, tempfile::tempdir().expect("unused"));
    let _agent = TestAgent::start(&hub.grpc(), "timed-1", FAST, None);
    wait_status(&hub.http(), "timed-1", "online").await;
    has_samples(&hub.http(), "timed-1", 2).await;
    sampled_every_second(&hub.http(), "timed-1").await;
}
