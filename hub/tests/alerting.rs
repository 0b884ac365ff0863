//! Alert rules over REST (auth, validation, versions), alerts live on the
//! WebSocket, and rules and firing alerts across a restart.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const TOKEN: &str = "test-admin-token";
const FAST: Duration = Duration::from_millis(200);

fn hub_with_token(data: std::path::PathBuf) -> TestHub {
    let mut config = sysmonstm_hub::HubConfig::ephemeral(data);
    config.admin_token = Some(TOKEN.into());
    TestHub::start_with(config, tempfile::tempdir().expect("dir"))
}

async fn call(
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<String>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = reqwest::Client::new().request(method, url).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.expect("request");
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null), headers)
}

fn cpu_rule(threshold: f64) -> Value {
    json!({"name": "busy", "metric": "cpu_percent", "comparison": ">=", "threshold": threshold, "for": "0s",
           "severity": "critical", "selector": "it-*"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_rest_validates_and_authenticates() {
    let dir = tempfile::tempdir().expect("dir");
    let hub = hub_with_token(dir.path().to_path_buf());
    let rules = format!("{}/api/rules", hub.http());

    // Defaults on first start.
    let (status, list, _) = call(reqwest::Method::GET, &rules, None, None).await;
    assert_eq!(status, 200);
    let names: Vec<&str> =
        list.as_array().expect("rules").iter().map(|r| r["metric"].as_str().expect("metric")).collect();
    assert_eq!(names.len(), 4);
    for metric in ["cpu_percent", "memory_percent", "disk_percent", "offline"] {
        assert!(names.contains(&metric), "default rule for {metric}");
    }

    // Auth.
    let body = Some(cpu_rule(90.0).to_string());
    assert_eq!(call(reqwest::Method::POST, &rules, None, body.clone()).await.0, 401);
    assert_eq!(call(reqwest::Method::POST, &rules, Some("wrong"), body.clone()).await.0, 401);

    // One case per validation error: 422 naming the field.
    let base = cpu_rule(90.0);
    let with = |key: &str, value: Value| {
        let mut v = base.clone();
        v[key] = value;
        v
    };
    for (input, field) in [
        (with("metric", json!("warp_factor")), "metric"),
        (with("threshold", json!("high")), "threshold"),
        (with("for", json!("-1m")), "for"),
        (with("clear_for", json!("whenever")), "clear_for"),
        (with("clear_threshold", json!(95)), "clear_threshold"),
        (with("severity", json!("apocalyptic")), "severity"),
        (with("colour", json!("red")), "colour"),
        (with("webhooks", json!(["not a url"])), "webhooks"),
        (with("webhooks", json!(["http://192.168.1.10/hook"])), "webhooks"),
    ] {
        let (status, error, _) = call(reqwest::Method::POST, &rules, Some(TOKEN), Some(input.to_string())).await;
        assert_eq!(status, 422, "{input}: {error}");
        assert_eq!(error["field"], field, "{input}: {error}");
        assert!(!error["error"].as_str().expect("message").is_empty());
    }
    let (status, error, _) = call(reqwest::Method::POST, &rules, Some(TOKEN), Some("{not json".into())).await;
    assert_eq!(status, 400, "{error}");
    let huge = json!({"name": "x".repeat(70 * 1024)}).to_string();
    assert_eq!(call(reqwest::Method::POST, &rules, Some(TOKEN), Some(huge)).await.0, 413);
    // Nothing was created by the refused requests.
    assert_eq!(call(reqwest::Method::GET, &rules, None, None).await.1.as_array().expect("rules").len(), 4);

    // Create, read, version conflicts, patch, delete.
    let (status, created, headers) = call(reqwest::Method::POST, &rules, Some(TOKEN), body).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(headers["location"], format!("/api/rules/{id}").as_str());
    assert_eq!(created["version"], 1);
    let one = format!("{rules}/{id}");
    assert_eq!(call(reqwest::Method::GET, &one, None, None).await.1, created);
    let (status, patched, _) =
        call(reqwest::Method::PATCH, &one, Some(TOKEN), Some(json!({"threshold": 80, "version": 1}).to_string())).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!((patched["threshold"].as_f64(), patched["version"].as_u64()), (Some(80.0), Some(2)));
    assert_eq!(patched["name"], "busy", "PATCH keeps what it does not name");
    let stale = json!({"threshold": 70, "version": 1}).to_string();
    let (status, conflict, _) = call(reqwest::Method::PATCH, &one, Some(TOKEN), Some(stale)).await;
    assert_eq!(status, 409, "{conflict}");
    let (status, _, _) =
        call(reqwest::Method::PUT, &one, Some(TOKEN), Some(with("version", json!(1)).to_string())).await;
    assert_eq!(status, 409);
    let (status, error, _) =
        call(reqwest::Method::PATCH, &one, Some(TOKEN), Some(json!({"severity": "meh"}).to_string())).await;
    assert_eq!((status, error["field"].as_str()), (422, Some("severity")));
    assert_eq!(
        call(reqwest::Method::GET, &one, None, None).await.1["threshold"],
        80.0,
        "refused PATCH changed nothing"
    );
    let (status, replaced, _) = call(reqwest::Method::PUT, &one, Some(TOKEN), Some(cpu_rule(50.0).to_string())).await;
    assert_eq!((status, replaced["version"].as_u64()), (200, Some(3)));
    assert_eq!(call(reqwest::Method::DELETE, &one, None, None).await.0, 401);
    assert_eq!(call(reqwest::Method::DELETE, &one, Some(TOKEN), None).await.0, 204);
    assert_eq!(call(reqwest::Method::GET, &one, None, None).await.0, 404);
    assert_eq!(call(reqwest::Method::PATCH, &one, Some(TOKEN), Some("{}".into())).await.0, 404);

    // Alert query parameters.
    let alerts = format!("{}/api/alerts", hub.http());
    assert_eq!(call(reqwest::Method::GET, &format!("{alerts}?state=firing"), None, None).await.0, 200);
    for (query, field) in [("state=burning", "state"), ("since=later", "since"), ("limit=0", "limit")] {
        let (status, error, _) = call(reqwest::Method::GET, &format!("{alerts}?{query}"), None, None).await;
        assert_eq!((status, error["field"].as_str()), (400, Some(field)), "{query}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_fires_on_the_websocket_and_resolves_after_patch() {
    let dir = tempfile::tempdir().expect("dir");
    let hub = hub_with_token(dir.path().to_path_buf());
    let mut ws = ws_connect(&hub.http()).await;
    let _agent = TestAgent::start(&hub.grpc(), "it-alert", FAST, None);
    wait_status(&hub.http(), "it-alert", "online").await;

    let rules = format!("{}/api/rules", hub.http());
    let (status, rule, _) = call(reqwest::Method::POST, &rules, Some(TOKEN), Some(cpu_rule(0.0).to_string())).await;
    assert_eq!(status, 201);
    let fired = ws_alert(&mut ws, &rule, "firing").await;
    assert_eq!(fired["rule_id"], rule["id"]);
    assert_eq!(fired["machine_id"], "it-alert");
    assert_eq!(fired["severity"], "critical");
    assert!(!fired["top_processes"].as_array().expect("snapshot").is_empty(), "process snapshot captured");

    let one = format!("{rules}/{}", rule["id"].as_str().expect("id"));
    let (status, _, _) =
        call(reqwest::Method::PATCH, &one, Some(TOKEN), Some(json!({"threshold": 101}).to_string())).await;
    assert_eq!(status, 200);
    let resolved = ws_alert(&mut ws, &rule, "resolved").await;
    assert_eq!(resolved["id"], fired["id"]);
    assert!(resolved["resolved_at"].as_i64().expect("resolved_at") >= fired["started_at"].as_i64().expect("started"));

    let stored = eventually("the resolved alert in the store", || async {
        let (_, list, _) =
            call(reqwest::Method::GET, &format!("{}/api/alerts?state=resolved", hub.http()), None, None).await;
        list.as_array().and_then(|a| a.iter().find(|x| x["id"] == fired["id"]).cloned())
    })
    .await;
    assert_eq!(stored["rule_name"], "busy");
}

/// Reads WebSocket frames until an alert in `state` arrives.
/// The next alert frame of `rule` in `state` (default rules may fire too,
/// on whatever machine runs the tests: a full disk, a busy CPU).
async fn ws_alert(ws: &mut Ws, rule: &Value, state: &str) -> Value {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        assert!(std::time::Instant::now() < deadline, "no {state} alert on the websocket");
        let frame = ws_next(ws).await;
        if frame["type"] == "alert" && frame["alert"]["state"] == state && frame["alert"]["rule_id"] == rule["id"] {
            return frame["alert"].clone();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_and_firing_alerts_survive_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().to_path_buf();
    let mut hub = hub_with_token(data.clone());
    let mut agent = TestAgent::start(&hub.grpc(), "it-keep", FAST, None);
    let rules = format!("{}/api/rules", hub.http());
    let (_, rule, _) = call(reqwest::Method::POST, &rules, Some(TOKEN), Some(cpu_rule(0.0).to_string())).await;
    let firing = eventually("a firing alert", || async {
        let (_, list, _) =
            call(reqwest::Method::GET, &format!("{}/api/alerts?state=firing&machine=it-keep", hub.http()), None, None)
                .await;
        list.as_array().and_then(|a| a.iter().find(|alert| alert["rule_id"] == rule["id"]).cloned())
    })
    .await;
    agent.stop().await;
    hub.stop().await;

    let hub2 = hub_with_token(data);
    let (_, list, _) = call(
        reqwest::Method::GET,
        &format!("{}/api/rules/{}", hub2.http(), rule["id"].as_str().expect("id")),
        None,
        None,
    )
    .await;
    assert_eq!(list["name"], "busy", "rule kept");
    let mut ws = ws_connect(&hub2.http()).await;
    let _agent2 = TestAgent::start(&hub2.grpc(), "it-keep", FAST, None);
    wait_status(&hub2.http(), "it-keep", "online").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Still the one firing alert, restored rather than fired again.
    let (_, now_firing, _) =
        call(reqwest::Method::GET, &format!("{}/api/alerts?state=firing", hub2.http()), None, None).await;
    let ids: Vec<&Value> = now_firing
        .as_array()
        .expect("alerts")
        .iter()
        .filter(|a| a["rule_id"] == rule["id"])
        .map(|a| &a["id"])
        .collect();
    assert_eq!(ids, vec![&firing["id"]]);
    let watch_until = std::time::Instant::now() + Duration::from_secs(2);
    while std::time::Instant::now() < watch_until {
        let frame = ws_next(&mut ws).await;
        let again = frame["type"] == "alert" && frame["alert"]["rule_id"] == rule["id"];
        assert!(!again, "a restored alert is not notified again: {frame}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_delivered_with_retries_and_counted() {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    config.admin_token = Some(TOKEN.into());
    config.allow_private_webhooks = true;
    let hub = TestHub::start_with(config, tempfile::tempdir().expect("dir"));
    let webhook::WebhookSink { url, mut received } = webhook::WebhookSink::start(2).await;
    let _agent = TestAgent::start(&hub.grpc(), "it-hook", FAST, None);
    let mut rule = cpu_rule(0.0);
    rule["webhooks"] = json!([url]);
    let (status, created, _) =
        call(reqwest::Method::POST, &format!("{}/api/rules", hub.http()), Some(TOKEN), Some(rule.to_string())).await;
    assert_eq!(status, 201, "{created}");

    // Two 500s, then delivered: three requests with the same body.
    let mut statuses = Vec::new();
    let mut delivered = Value::Null;
    while statuses.len() < 3 {
        let (status, body) = tokio::time::timeout(WAIT, received.recv()).await.expect("webhook in time").expect("open");
        statuses.push(status);
        delivered = body;
    }
    assert_eq!(statuses, vec![500, 500, 200]);
    assert_eq!(delivered["state"], "firing");
    assert_eq!(delivered["alert"]["machine_id"], "it-hook");
    assert_eq!(delivered["rule"]["id"], created["id"]);
    let stats = eventually("delivery counted", || async {
        let (_, stats) = get_json(&format!("{}/api/stats", hub.http())).await;
        (stats["webhooks_delivered"] == 1).then_some(stats)
    })
    .await;
    assert_eq!(stats["webhook_retries"], 2);
    assert_eq!(stats["webhooks_failed"], 0);

    // Resolving notifies too.
    let one = format!("{}/api/rules/{}", hub.http(), created["id"].as_str().expect("id"));
    call(reqwest::Method::PATCH, &one, Some(TOKEN), Some(json!({"threshold": 101}).to_string())).await;
    let (status, body) = tokio::time::timeout(WAIT, received.recv()).await.expect("resolve webhook").expect("open");
    assert_eq!((status, body["state"].as_str()), (200, Some("resolved")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_describes_every_route() {
    let dir = tempfile::tempdir().expect("dir");
    let hub = hub_with_token(dir.path().to_path_buf());
    let (status, doc) = get_json(&format!("{}/api/openapi.json", hub.http())).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.0.3");
    for path in [
        "/api/machines",
        "/api/machines/{id}",
        "/api/machines/{id}/history",
        "/api/rules",
        "/api/rules/{id}",
        "/api/alerts",
        "/api/stats",
        "/ready",
        "/health",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    for method in ["get", "put", "patch", "delete"] {
        assert!(doc["paths"]["/api/rules/{id}"][method].is_object(), "{method} /api/rules/{{id}}");
    }
    // The rule input schema names every metric and per-part series the validator accepts.
    let described = doc["components"]["schemas"]["RuleInput"]["properties"]["metric"]["description"]
        .as_str()
        .expect("the metric's description");
    let whole = sysmonstm_hub::metrics::METRICS.iter().map(|m| m.name.to_owned());
    let parts = sysmonstm_hub::alerts::part::PART_METRICS.iter().map(|p| format!("{}{{{}=", p.name, p.key));
    for name in whole.chain(parts).chain(["offline".to_owned()]) {
        assert!(described.contains(&name), "{name} is not in: {described}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_the_admin_token_gets_429() {
    let dir = tempfile::tempdir().expect("dir");
    let hub = hub_with_token(dir.path().to_path_buf());
    let rules = format!("{}/api/rules", hub.http());
    let body = || Some(cpu_rule(50.0).to_string());
    for attempt in 0..10 {
        let (status, _, _) = call(reqwest::Method::POST, &rules, Some("guess"), body()).await;
        assert_eq!(status, 401, "attempt {attempt}");
    }
    let (status, error, headers) = call(reqwest::Method::POST, &rules, Some("guess"), body()).await;
    assert_eq!(status, 429, "{error}");
    let retry: u64 = headers["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert!(error["error"].as_str().is_some_and(|e| e.contains("too many")), "{error}");
    // Locked out means locked out: the right token does not help that address now.
    assert_eq!(call(reqwest::Method::POST, &rules, Some(TOKEN), body()).await.0, 429);
    // Reading needs no token and is not locked; another address is not affected.
    assert_eq!(call(reqwest::Method::GET, &rules, None, None).await.0, 200);
    let other =
        reqwest::Client::builder().local_address(std::net::IpAddr::from([127, 0, 0, 2])).build().expect("client");
    let response = other
        .post(&rules)
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(cpu_rule(50.0).to_string())
        .send()
        .await
        .expect("request from 127.0.0.2");
    assert_eq!(response.status().as_u16(), 201);
}
