//! Agent tokens issued over REST: created with the admin token, shown once
//! and kept hashed, enforced on the gRPC port beside `--agent-token`,
//! bound to their glob, revoked (live streams end, reconnecting is
//! refused), expiring, kept across restarts and shared by hubs on one
//! PostgreSQL.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const ADMIN: &str = "admin-token-0123456789";

fn hub_config(dir: &tempfile::TempDir) -> sysmonstm_hub::HubConfig {
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    config.admin_token = Some(ADMIN.into());
    config
}

async fn call(method: reqwest::Method, url: &str, admin: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut request = reqwest::Client::new().request(method, url);
    if let Some(token) = admin {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("HTTP request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Issues a token; returns (id, secret).
async fn issue(http: &str, body: Value) -> (String, String) {
    let (status, issued) =
        call(reqwest::Method::POST, &format!("{http}/api/agent-tokens"), Some(ADMIN), Some(body)).await;
    assert_eq!(status, 201, "{issued}");
    (issued["id"].as_str().expect("id").to_owned(), issued["token"].as_str().expect("secret").to_owned())
}

async fn revoke(http: &str, id: &str) -> u16 {
    call(reqwest::Method::DELETE, &format!("{http}/api/agent-tokens/{id}"), Some(ADMIN), None).await.0
}

/// A stream on `token` for `machine`, past its Welcome.
async fn stream(grpc: &str, token: &str, machine: &str) -> RawAgent {
    let mut raw = RawAgent::open(grpc, Some(token), hello(machine, "i1")).await.expect("accepted");
    raw.next().await.expect("welcome").expect("a message");
    raw
}

fn refusal(result: Result<RawAgent, tonic::Status>) -> tonic::Status {
    result.err().expect("the hub refuses the stream")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issued_tokens_bind_their_glob_are_kept_hashed_and_revocation_ends_streams() {
    let dir = tempfile::tempdir().expect("dir");
    let config = hub_config(&dir);
    let mut hub = TestHub::start_with(config.clone(), tempfile::tempdir().expect("unused"));
    let (http, grpc) = (hub.http(), hub.grpc());
    let url = format!("{http}/api/agent-tokens");

    // Before any token: the hub is open.
    let open = stream(&grpc, "anything", "it-open").await;
    drop(open);

    // The admin token is needed, and bad bodies name their field.
    let body = json!({"machine_glob": "web-*"});
    assert_eq!(call(reqwest::Method::POST, &url, None, Some(body.clone())).await.0, 401);
    assert_eq!(call(reqwest::Method::GET, &url, Some("wrong-admin"), None).await.0, 401);
    for (bad, field) in [
        (json!({}), "machine_glob"),
        (json!({"machine_glob": "web-["}), "machine_glob"),
        (json!({"machine_glob": "web-*", "labels": {"Env": "prod"}}), "labels.Env"),
        (json!({"machine_glob": "web-*", "expires_in": "soon"}), "expires_in"),
        (json!({"machine_glob": "web-*", "scope": "all"}), "scope"),
    ] {
        let (status, error) = call(reqwest::Method::POST, &url, Some(ADMIN), Some(bad.clone())).await;
        assert_eq!((status, error["field"].as_str()), (422, Some(field)), "{bad} -> {error}");
    }
    assert_eq!(call(reqwest::Method::GET, &url, Some(ADMIN), None).await.1, json!([]), "refused bodies issue nothing");

    let (status, issued) = call(
        reqwest::Method::POST,
        &url,
        Some(ADMIN),
        Some(json!({"machine_glob": "web-*", "description": "web tier", "labels": {"env": "prod"}})),
    )
    .await;
    assert_eq!(status, 201, "{issued}");
    let (id, secret) = (issued["id"].as_str().expect("id").to_owned(), issued["token"].as_str().expect("secret"));
    let secret = secret.to_owned();
    assert!(secret.starts_with("smt_") && secret.len() >= 36, "{secret}");
    assert_eq!((issued["state"].as_str(), issued["machine_glob"].as_str()), (Some("active"), Some("web-*")));
    assert_eq!(issued["labels"], json!({"env": "prod"}));

    // Shown once: the list and the token's own page carry no secret, nor its hash.
    let (status, listed) = call(reqwest::Method::GET, &url, Some(ADMIN), None).await;
    assert_eq!(status, 200);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["id"].as_str(), Some(id.as_str()));
    assert!(listed[0].get("token").is_none() && !listed.to_string().contains(&secret), "{listed}");
    let (_, one) = call(reqwest::Method::GET, &format!("{url}/{id}"), Some(ADMIN), None).await;
    assert_eq!(one["description"].as_str(), Some("web tier"));
    // Nor does the database: only the hash is kept.
    for entry in std::fs::read_dir(dir.path()).expect("data dir") {
        let bytes = std::fs::read(entry.expect("entry").path()).unwrap_or_default();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "the secret is on disk");
    }

    // The first issued token closes the hub to agents without one.
    assert_eq!(refusal(RawAgent::open(&grpc, None, hello("it-none", "i1")).await).code(), tonic::Code::Unauthenticated);
    // It reports the machines its glob matches, and only those.
    let mut agent = TestAgent::start(&grpc, "web-3", Duration::from_millis(200), Some(&secret));
    wait_status(&http, "web-3", "online").await;
    let denied = refusal(RawAgent::open(&grpc, Some(&secret), hello("db-1", "i1")).await);
    assert_eq!(denied.code(), tonic::Code::PermissionDenied, "{denied:?}");
    assert!(machine(&http, "db-1").await.is_none());

    // Revoking ends its live stream and refuses it from then on.
    let mut live = stream(&grpc, &secret, "web-9").await;
    assert_eq!(revoke(&http, &id).await, 204);
    let ended = live.ending_status().await;
    assert_eq!(ended.code(), tonic::Code::Unauthenticated, "{ended:?}");
    let again = refusal(RawAgent::open(&grpc, Some(&secret), hello("web-9", "i1")).await);
    assert!(again.message().contains("revoked"), "{again:?}");
    wait_status(&http, "web-3", "offline").await;
    agent.stop().await;
    assert_eq!(revoke(&http, &id).await, 204, "revoking twice is fine");
    let (status, error) = call(reqwest::Method::DELETE, &format!("{url}/nope"), Some(ADMIN), None).await;
    assert_eq!((status, error["error"].is_string()), (404, true));
    let (_, one) = call(reqwest::Method::GET, &format!("{url}/{id}"), Some(ADMIN), None).await;
    assert_eq!(one["state"].as_str(), Some("revoked"));
    assert!(one["revoked_at"].as_i64().is_some());

    // Across a restart: still revoked, and the hub stays closed.
    hub.stop().await;
    let hub = TestHub::start_with(config, tempfile::tempdir().expect("unused"));
    let grpc = hub.grpc();
    assert!(refusal(RawAgent::open(&grpc, Some(&secret), hello("web-9", "i1")).await).message().contains("revoked"));
    assert_eq!(refusal(RawAgent::open(&grpc, None, hello("it-none", "i1")).await).code(), tonic::Code::Unauthenticated);
    let (id2, secret2) = issue(&hub.http(), json!({"machine_glob": "web-9"})).await;
    assert_ne!(id2, id);
    drop(stream(&grpc, &secret2, "web-9").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flag_tokens_keep_working_beside_issued_ones_that_expire() {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = hub_config(&dir);
    config.agent_tokens = vec![sysmonstm_hub::token_rules::parse_rule("flag-token-0123456789=db-*").expect("rule")];
    let hub = TestHub::start_with(config, dir);
    let (http, grpc) = (hub.http(), hub.grpc());
    let (_, secret) = issue(&http, json!({"machine_glob": "*", "expires_in": "3s"})).await;
    let mut flagged = stream(&grpc, "flag-token-0123456789", "db-1").await;
    let mut expiring = stream(&grpc, &secret, "it-any").await;
    // The issued token runs out: its stream ends, the flag token's does not.
    let ended = expiring.ending_status().await;
    assert_eq!(ended.code(), tonic::Code::Unauthenticated, "{ended:?}");
    assert!(refusal(RawAgent::open(&grpc, Some(&secret), hello("it-any", "i1")).await).message().contains("expired"));
    flagged.send(sample(1)).await;
    assert_eq!(flagged.ack_at_least(1).await, 1);
    let (_, listed) = call(reqwest::Method::GET, &format!("{http}/api/agent-tokens"), Some(ADMIN), None).await;
    assert_eq!(listed[0]["state"].as_str(), Some("expired"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hubs_sharing_postgres_share_tokens_and_revocations() {
    let pg = postgres::PgServer::start();
    let start = || {
        let dir = tempfile::tempdir().expect("dir");
        let mut config = hub_config(&dir);
        config.database_url = Some(pg.url());
        TestHub::start_with(config, dir)
    };
    let (a, b) = (start(), start());
    let (id, secret) = issue(&a.http(), json!({"machine_glob": "web-*"})).await;
    // Hub B learns of the token from the database: it closes to agents
    // without one, and takes this one.
    eventually("hub B refuses agents without a token", || {
        let grpc = b.grpc();
        async move { RawAgent::open(&grpc, None, hello("it-none", "i1")).await.err() }
    })
    .await;
    let mut live = stream(&b.grpc(), &secret, "web-1").await;
    assert_eq!(revoke(&a.http(), &id).await, 204);
    // Revoked on A: B ends the stream and refuses it.
    assert_eq!(live.ending_status().await.code(), tonic::Code::Unauthenticated);
    let again = refusal(RawAgent::open(&b.grpc(), Some(&secret), hello("web-1", "i1")).await);
    assert!(again.message().contains("revoked"), "{again:?}");
    let (_, listed) = call(reqwest::Method::GET, &format!("{}/api/agent-tokens", b.http()), Some(ADMIN), None).await;
    assert_eq!(listed[0]["state"].as_str(), Some("revoked"));
}
