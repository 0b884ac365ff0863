//! The audit log over REST: every change made with the admin token (rules,
//! agent tokens, machines) is listed with who, from where and what, newest
//! first; it needs the admin token, never shows a secret, pages and filters,
//! and refuses a bad parameter by name.

mod common;

use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

const ADMIN: &str = "audit-admin-token-0123";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_admin_change_is_in_the_audit_log() {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    config.admin_token = Some(ADMIN.into());
    let hub = TestHub::start_with(config, tempfile::tempdir().expect("unused"));
    let http = hub.http();
    let url = |path: &str| format!("{http}{path}");
    let mut agent = TestAgent::start(&hub.grpc(), "au-1", Duration::from_millis(200), None);
    wait_status(&http, "au-1", "online").await;

    let rule = json!({"name": "n", "metric": "cpu_percent", "comparison": ">", "threshold": 99});
    let (status, made) = send_json(Method::POST, &url("/api/rules"), Some(ADMIN), &rule).await;
    assert_eq!(status, 201);
    let rule_id = made["id"].as_str().expect("id").to_owned();
    let rule_url = url(&format!("/api/rules/{rule_id}"));
    assert_eq!(send_json(Method::PATCH, &rule_url, Some(ADMIN), &json!({"threshold": 98})).await.0, 200);
    assert_eq!(send_json(Method::PATCH, &rule_url, Some(ADMIN), &json!({"threshold": "x"})).await.0, 422);
    assert_eq!(send_json(Method::DELETE, &rule_url, Some(ADMIN), &Value::Null).await.0, 204);
    let (_, issued) =
        send_json(Method::POST, &url("/api/agent-tokens"), Some(ADMIN), &json!({"machine_glob": "au-*"})).await;
    let (token_id, secret) = (issued["id"].as_str().expect("id"), issued["token"].as_str().expect("secret"));
    let revoke = url(&format!("/api/agent-tokens/{token_id}"));
    assert_eq!(send_json(Method::DELETE, &revoke, Some(ADMIN), &Value::Null).await.0, 204);
    let labels = json!({"labels": {"env": "prod"}, "interval": "1s"});
    assert_eq!(send_json(Method::PATCH, &url("/api/machines/au-1"), Some(ADMIN), &labels).await.0, 200);
    agent.stop().await;
    wait_status(&http, "au-1", "offline").await;
    assert_eq!(send_json(Method::DELETE, &url("/api/machines/au-1"), Some(ADMIN), &Value::Null).await.0, 200);
    // Not an admin: not a change, not logged.
    assert_eq!(send_json(Method::POST, &url("/api/rules"), Some("wrong"), &rule).await.0, 401);

    let (status, log) = send_json(Method::GET, &url("/api/audit"), Some(ADMIN), &Value::Null).await;
    assert_eq!(status, 200, "{log}");
    let entries = log.as_array().expect("a list");
    let actions: Vec<&str> = entries.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        actions,
        [
            "machine.remove",
            "machine.update",
            "agent_token.revoke",
            "agent_token.issue",
            "rule.delete",
            "rule.update",
            "rule.create"
        ],
        "newest first; the refused patch and the wrong token are not there"
    );
    let actor = entries[0]["actor"].as_str().expect("actor");
    assert!(entries.iter().all(|e| e["actor"] == actor && e["address"] == "127.0.0.1"), "{log}");
    assert!(actor.starts_with("admin:") && !log.to_string().contains(ADMIN), "who, by fingerprint");
    assert!(!log.to_string().contains(secret), "no agent token secret");
    assert_eq!(entries[1]["detail"], labels, "the patch as sent");
    assert_eq!((entries[0]["target"].as_str(), entries[0]["detail"]["was"].as_str()), (Some("au-1"), Some("offline")));
    assert_eq!(entries[5]["detail"]["patch"], json!({"threshold": 98}));
    assert_eq!(entries[3]["detail"]["machine_glob"], "au-*");

    let (_, page) = send_json(Method::GET, &url("/api/audit?limit=2"), Some(ADMIN), &Value::Null).await;
    assert_eq!(page.as_array().map(Vec::len), Some(2));
    let before = page[1]["id"].as_i64().expect("id");
    let (_, next) =
        send_json(Method::GET, &url(&format!("/api/audit?limit=2&before={before}")), Some(ADMIN), &Value::Null).await;
    assert_eq!(next[0]["action"], "agent_token.revoke", "the next page goes on where the first ended");
    let (_, of_machine) = send_json(Method::GET, &url("/api/audit?target=au-1"), Some(ADMIN), &Value::Null).await;
    assert_eq!(of_machine.as_array().map(Vec::len), Some(2));
    let (_, rules) = send_json(Method::GET, &url("/api/audit?action=rule.update"), Some(ADMIN), &Value::Null).await;
    assert_eq!(rules.as_array().map(Vec::len), Some(1));

    assert_eq!(send_json(Method::GET, &url("/api/audit"), None, &Value::Null).await.0, 401);
    for (query, field) in [("limit=0", "limit"), ("before=x", "before"), ("action=rule.explode", "action")] {
        let (status, error) =
            send_json(Method::GET, &url(&format!("/api/audit?{query}")), Some(ADMIN), &Value::Null).await;
        assert_eq!((status, error["field"].as_str()), (400, Some(field)), "{query}: {error}");
    }
}
