//! Machine labels: given to the agent (`--label`), and by its token (the
//! token's win for a key); shown in the machine's summary, filtered with
//! `GET /api/machines?label=…`, exported on `/metrics`, kept across a hub
//! restart, and refused with the label named when they break the rules.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const ADMIN: &str = "admin-token-0123456789";

fn labels(pairs: &[(&str, &str)]) -> sysmonstm_protocol::labels::Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

async fn ids(http: &str, query: &str) -> (u16, Vec<String>) {
    let (status, body) = get_json(&format!("{http}/api/machines{query}")).await;
    let list = body.as_array().map(|a| a.iter().filter_map(|m| m["machine_id"].as_str().map(str::to_owned)).collect());
    (status, list.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_from_the_agent_and_its_token_filter_export_and_persist() {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    config.admin_token = Some(ADMIN.into());
    let mut hub = TestHub::start_with(config.clone(), tempfile::tempdir().expect("unused"));
    let (http, grpc) = (hub.http(), hub.grpc());
    let issued: Value = reqwest::Client::new()
        .post(format!("{http}/api/agent-tokens"))
        .bearer_auth(ADMIN)
        .json(&json!({"machine_glob": "*", "labels": {"env": "prod", "dc": "eu-1"}}))
        .send()
        .await
        .expect("issue")
        .json()
        .await
        .expect("JSON");
    let token = issued["token"].as_str().expect("secret");
    let interval = Duration::from_millis(200);
    let mut web = TestAgent::config(&grpc, "web-1", interval, Some(token));
    web.labels = labels(&[("role", "web"), ("env", "dev")]);
    let mut db = TestAgent::config(&grpc, "db-1", interval, Some(token));
    db.labels = labels(&[("role", "db")]);
    let mut agents = [TestAgent::run(web), TestAgent::run(db)];
    let web = wait_status(&http, "web-1", "online").await;
    wait_status(&http, "db-1", "online").await;
    assert_eq!(web["labels"], json!({"role": "web", "env": "prod", "dc": "eu-1"}), "the token's env wins");

    assert_eq!(ids(&http, "?label=role=web").await, (200, vec!["web-1".to_owned()]));
    assert_eq!(ids(&http, "?label=env=prod,role!=web").await, (200, vec!["db-1".to_owned()]));
    assert_eq!(ids(&http, "?label=dc").await.1.len(), 2);
    assert!(ids(&http, "?label=gpu").await.1.is_empty());
    let (status, error) = get_json(&format!("{http}/api/machines?label=Role=web")).await;
    assert_eq!((status, error["field"].as_str()), (400, Some("label")), "{error}");

    let metrics = reqwest::get(format!("{http}/metrics")).await.expect("metrics").text().await.expect("text");
    let line = metrics
        .lines()
        .find(|l| l.starts_with("sysmonstm_machine_up{") && l.contains("machine_id=\"web-1\""))
        .expect("web-1's gauge");
    for pair in ["dc=\"eu-1\"", "env=\"prod\"", "role=\"web\""] {
        assert!(line.contains(pair), "{line} lacks {pair}");
    }

    // A restarted hub lists them offline with their labels.
    for agent in &mut agents {
        agent.stop().await;
    }
    hub.stop().await;
    let hub = TestHub::start_with(config, tempfile::tempdir().expect("unused"));
    let db = machine(&hub.http(), "db-1").await.expect("known after a restart");
    assert_eq!(db["status"], "offline");
    assert_eq!(db["labels"], json!({"role": "db", "env": "prod", "dc": "eu-1"}));
    assert_eq!(ids(&hub.http(), "?label=role=db").await.1, ["db-1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hello_with_a_bad_label_is_refused_naming_it() {
    let hub = TestHub::start();
    let mut hello = hello("it-labels", "i1");
    if let Some(sysmonstm_protocol::pb::agent_message::Msg::Hello(h)) = &mut hello.msg {
        let host = h.host.get_or_insert_with(Default::default);
        host.labels.insert("Bad Key".into(), "x".into());
    }
    let refused = RawAgent::open(&hub.grpc(), None, hello).await.err().expect("refused");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(refused.message().contains("hello.host.labels.Bad Key"), "{}", refused.message());
    assert!(machines(&hub.http()).await.is_empty());
}

async fn patch(http: &str, id: &str, admin: Option<&str>, body: Value) -> (u16, Value) {
    send_json(reqwest::Method::PATCH, &format!("{http}/api/machines/{id}"), admin, &body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_labels_and_display_names_win_reach_viewers_and_persist() {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    config.admin_token = Some(ADMIN.into());
    let mut hub = TestHub::start_with(config.clone(), tempfile::tempdir().expect("unused"));
    let (http, grpc) = (hub.http(), hub.grpc());
    let mut web = TestAgent::config(&grpc, "web-1", Duration::from_millis(200), None);
    web.labels = labels(&[("role", "web"), ("env", "dev")]);
    let mut agent = TestAgent::run(web);
    wait_status(&http, "web-1", "online").await;
    let mut ws = ws_connect(&http).await;

    // Refusals name what is wrong and change nothing.
    let body = json!({"labels": {"env": "prod"}});
    assert_eq!(patch(&http, "web-1", None, body.clone()).await.0, 401);
    assert_eq!(patch(&http, "nope", Some(ADMIN), body.clone()).await.0, 404);
    for (bad, field) in [
        (json!({"labels": {"Env": "prod"}}), "labels.Env"),
        (json!({"labels": {"env": 3}}), "labels.env"),
        (json!({"display_name": "x".repeat(200)}), "display_name"),
        (json!({"interval": "5x"}), "interval"),
    ] {
        let (status, error) = patch(&http, "web-1", Some(ADMIN), bad.clone()).await;
        assert_eq!((status, error["field"].as_str()), (422, Some(field)), "{bad} -> {error}");
    }
    assert_eq!(machine(&http, "web-1").await.expect("known")["labels"], json!({"env": "dev", "role": "web"}));

    // The hub's env wins over the agent's; the answer is the summary as it now is.
    let (status, shown) =
        patch(&http, "web-1", Some(ADMIN), json!({"labels": {"env": "prod", "team": "a"}, "display_name": "Web one"}))
            .await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["labels"], json!({"env": "prod", "role": "web", "team": "a"}));
    assert_eq!(shown["display_name"], "Web one");
    // Browsers see it at once, and the next samples keep it.
    ws_until(&mut ws, "web-1", |m| m["display_name"] == "Web one" && m["labels"]["team"] == "a").await;
    let before = machine(&http, "web-1").await.expect("known")["sample_ts"].as_i64();
    let later = eventually("a newer sample", || {
        let http = http.clone();
        async move { machine(&http, "web-1").await.filter(|m| m["sample_ts"].as_i64() > before) }
    })
    .await;
    assert_eq!(later["labels"]["env"], "prod");
    assert_eq!(ids(&http, "?label=team=a").await.1, ["web-1"]);

    // A label set to null is removed.
    let (_, shown) = patch(&http, "web-1", Some(ADMIN), json!({"labels": {"team": null}})).await;
    assert_eq!(shown["labels"], json!({"env": "prod", "role": "web"}));

    // Kept across a restart, offline.
    agent.stop().await;
    hub.stop().await;
    let hub = TestHub::start_with(config, tempfile::tempdir().expect("unused"));
    let kept = machine(&hub.http(), "web-1").await.expect("known");
    assert_eq!((kept["labels"]["env"].as_str(), kept["display_name"].as_str()), (Some("prod"), Some("Web one")));
}

/// The next alert frame of `rule` (other rules may fire on whatever
/// machine runs the tests).
async fn ws_alert_of(ws: &mut Ws, rule: &Value) -> Value {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        assert!(std::time::Instant::now() < deadline, "no alert of {rule} on the websocket");
        let frame = ws_next(ws).await;
        if frame["type"] == "alert" && frame["alert"]["rule_id"] == rule["id"] {
            return frame["alert"].clone();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_selectors_in_rules_fire_only_on_matching_machines() {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    config.admin_token = Some(ADMIN.into());
    let hub = TestHub::start_with(config, tempfile::tempdir().expect("unused"));
    let (http, grpc) = (hub.http(), hub.grpc());
    let mut agents = Vec::new();
    for (id, env) in [("web-1", "prod"), ("web-2", "staging"), ("db-1", "prod")] {
        let mut agent = TestAgent::config(&grpc, id, Duration::from_millis(200), None);
        agent.labels = labels(&[("env", env)]);
        agents.push(TestAgent::run(agent));
        wait_status(&http, id, "online").await;
    }
    let mut ws = ws_connect(&http).await;
    let rules = format!("{http}/api/rules");
    let bad = json!({"name": "n", "metric": "cpu_percent", "comparison": ">=", "threshold": 0, "labels": {"Env": "x"}});
    let (_, refused) = send_json(reqwest::Method::POST, &rules, Some(ADMIN), &bad).await;
    assert_eq!(refused["field"], "labels.Env", "{refused}");
    let body = json!({"name": "prod web busy", "metric": "cpu_percent", "comparison": ">=", "threshold": 0,
                      "for": "0s", "selector": "web-*", "labels": {"env": "prod"}});
    let (_, rule) = send_json(reqwest::Method::POST, &rules, Some(ADMIN), &body).await;
    assert_eq!(rule["labels"], json!({"env": "prod"}), "{rule}");

    let first = ws_alert_of(&mut ws, &rule).await;
    assert_eq!((first["machine_id"].as_str(), first["state"].as_str()), (Some("web-1"), Some("firing")));
    // web-2 becomes prod on the hub: the rule takes it; web-1 leaves prod: its alert resolves.
    assert_eq!(patch(&http, "web-2", Some(ADMIN), json!({"labels": {"env": "prod"}})).await.0, 200);
    let second = ws_alert_of(&mut ws, &rule).await;
    assert_eq!((second["machine_id"].as_str(), second["state"].as_str()), (Some("web-2"), Some("firing")));
    assert_eq!(patch(&http, "web-1", Some(ADMIN), json!({"labels": {"env": "dev"}})).await.0, 200);
    let third = ws_alert_of(&mut ws, &rule).await;
    assert_eq!((third["id"].as_str(), third["state"].as_str()), (first["id"].as_str(), Some("resolved")));

    let (_, firing) = get_json(&format!("{http}/api/alerts?state=firing")).await;
    let mut on: Vec<&str> = firing
        .as_array()
        .expect("list")
        .iter()
        .filter(|a| a["rule_id"] == rule["id"])
        .filter_map(|a| a["machine_id"].as_str())
        .collect();
    on.sort_unstable();
    assert_eq!(on, ["web-2"], "db-1 is prod but not web-*; web-1 left prod");
}
