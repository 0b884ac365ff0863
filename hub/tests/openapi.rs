//! The OpenAPI document against the API's real answers: every documented
//! operation is called (answers that succeed and answers that fail), and
//! each answer's status must be documented for it, its content type the one
//! documented, and its body valid against the documented schema. Every
//! method a path does not take answers 405 with `Allow` and a JSON error;
//! HEAD answers what GET does, without a body; every answer carries the
//! security headers.

mod common;

use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

const TOKEN: &str = "openapi-admin-token";

/// Checks `value` against an OpenAPI 3.0 schema (the subset the document
/// uses: `$ref`, `allOf`, `type`, `nullable`, `properties`, `required`, `items`,
/// `enum`, `additionalProperties`); returns what does not match, with where.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return check(doc, &doc["components"]["schemas"][name], value, at, problems);
    }
    if let Some(all) = schema["allOf"].as_array() {
        return all.iter().for_each(|part| check(doc, part, value, at, problems));
    }
    if value.is_null() {
        if !schema["nullable"].as_bool().unwrap_or(false) && schema.get("type").is_some() {
            problems.push(format!("{at}: null, but the schema is not nullable"));
        }
        return;
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            problems.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    let fits = match schema["type"].as_str() {
        None => true,
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("boolean") => value.is_boolean(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some(other) => {
            problems.push(format!("{at}: unknown schema type {other}"));
            true
        }
    };
    if !fits {
        problems.push(format!("{at}: {value} is not {}", schema["type"]));
        return;
    }
    if let (Some(object), Some(properties)) = (value.as_object(), schema["properties"].as_object()) {
        for required in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !object.contains_key(required) {
                problems.push(format!("{at}: `{required}` is required and missing"));
            }
        }
        for (key, field) in object {
            match properties.get(key) {
                Some(property) => check(doc, property, field, &format!("{at}.{key}"), problems),
                None if schema["additionalProperties"] == false => {
                    problems.push(format!("{at}: `{key}` is not in the schema"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(schema)) = (value.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check(doc, schema, item, &format!("{at}[{i}]"), problems);
        }
    }
}

/// One call and what it must be checked against.
struct Call {
    method: Method,
    /// The documented path (`/api/rules/{id}`).
    template: &'static str,
    url: String,
    token: Option<&'static str>,
    body: Option<String>,
    headers: Vec<(&'static str, &'static str)>,
}

fn call(method: Method, template: &'static str, url: impl Into<String>) -> Call {
    Call { method, template, url: url.into(), token: None, body: None, headers: Vec::new() }
}

impl Call {
    fn token(mut self) -> Call {
        self.token = Some(TOKEN);
        self
    }
    fn body(mut self, body: impl Into<String>) -> Call {
        self.body = Some(body.into());
        self
    }
    fn header(mut self, name: &'static str, value: &'static str) -> Call {
        self.headers.push((name, value));
        self
    }
}

async fn get_json_with(url: &str, token: &str) -> (u16, Value) {
    let response = reqwest::Client::new().get(url).bearer_auth(token).send().await.expect("request");
    (response.status().as_u16(), response.json().await.expect("JSON"))
}

/// What went wrong with one answer, if anything; and its status.
async fn conform(doc: &Value, base: &str, c: &Call) -> (u16, Vec<String>) {
    let mut request = reqwest::Client::new().request(c.method.clone(), format!("{base}{}", c.url));
    if let Some(token) = c.token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = &c.body {
        request = request.header("content-type", "application/json").body(body.clone());
    }
    for (name, value) in &c.headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let what = format!("{} {} -> {status}", c.method, c.url);
    let mut problems = Vec::new();
    if headers.get("x-content-type-options").is_none_or(|v| v != "nosniff") {
        problems.push(format!("{what}: no `X-Content-Type-Options: nosniff`"));
    }
    let csp = headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !csp.contains("frame-ancestors 'none'") {
        problems.push(format!("{what}: no CSP with frame-ancestors 'none' ({csp:?})"));
    }
    let operation = &doc["paths"][c.template][c.method.as_str().to_lowercase()];
    let Some(documented) = operation["responses"].get(status.to_string()) else {
        let listed: Vec<&String> = operation["responses"].as_object().map(|r| r.keys().collect()).unwrap_or_default();
        problems.push(format!("{what}: status not documented (documented: {listed:?}); body {text}"));
        return (status, problems);
    };
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    let declared = documented["content"].as_object();
    match declared {
        None if !text.is_empty() => {
            problems.push(format!("{what}: a {content_type} body where none is documented: {text}"))
        }
        None => {}
        Some(types) => {
            let Some((_, media)) = types.iter().find(|(t, _)| content_type.starts_with(t.as_str())) else {
                problems.push(format!("{what}: content type {content_type:?}, documented {:?}", types.keys()));
                return (status, problems);
            };
            if content_type.starts_with("application/json") {
                match serde_json::from_str::<Value>(&text) {
                    Ok(body) => check(doc, &media["schema"], &body, &what, &mut problems),
                    Err(e) => problems.push(format!("{what}: not JSON ({e}): {text}")),
                }
            }
        }
    }
    (status, problems)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_matches_the_document() {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    config.admin_token = Some(TOKEN.into());
    config.agent_binary = Some(sysmonstm_testkit::bins::workspace_binary("sysmonstm-agent"));
    let hub = TestHub::start_with(config, tempfile::tempdir().expect("dir"));
    let base = hub.http();
    let _agent = TestAgent::start(&hub.grpc(), "api-1", Duration::from_millis(200), None);
    // A hub without an agent binary to hand out.
    let bare = TestHub::start();
    wait_status(&base, "api-1", "online").await;
    let (_, doc) = get_json(&format!("{base}/api/openapi.json")).await;
    let rule = json!({"name": "busy", "metric": "cpu_percent", "comparison": ">=", "threshold": 95.0,
        "for": "0s", "severity": "warning", "selector": "api-*"});
    let created: Value = reqwest::Client::new()
        .post(format!("{base}/api/rules"))
        .bearer_auth(TOKEN)
        .json(&rule)
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("rule");
    let id = created["id"].as_str().expect("id").to_owned();
    let one = format!("/api/rules/{id}");
    // Issued last in the calls below: the first token closes the hub to the
    // tokenless agent's reconnects.
    let channel = json!({"name": "ops", "kind": "webhook", "url": "https://hooks.example.invalid/in", "secret": "0123456789abcdef"});
    let issue = json!({"machine_glob": "api-*", "labels": {"env": "test"}, "expires_in": "30d"});
    let (tokens, token_one, t) = ("/api/agent-tokens", "/api/agent-tokens/{id}", "/api/agent-tokens/nope");
    let r = "/api/rules/{id}";
    let (get, post, put, patch, delete) = (Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE);
    let calls = vec![
        call(get.clone(), "/health", "/health"),
        call(get.clone(), "/ready", "/ready"),
        call(get.clone(), "/metrics", "/metrics"),
        call(get.clone(), "/api/stats", "/api/stats"),
        call(get.clone(), "/api/openapi.json", "/api/openapi.json"),
        call(get.clone(), "/api/meta", "/api/meta"),
        call(get.clone(), "/api/machines", "/api/machines"),
        call(get.clone(), "/api/machines", "/api/machines?label=env=prod,role!=db"),
        call(get.clone(), "/api/machines", "/api/machines?label=Env"),
        call(get.clone(), "/api/machines/{id}", "/api/machines/api-1"),
        call(get.clone(), "/api/machines/{id}", "/api/machines/nope"),
        call(patch.clone(), "/api/machines/{id}", "/api/machines/api-1")
            .token()
            .body(json!({"labels": {"env": "test", "gone": null}, "display_name": "API one"}).to_string()),
        call(patch.clone(), "/api/machines/{id}", "/api/machines/api-1").token().body(json!({"labels": 1}).to_string()),
        call(patch.clone(), "/api/machines/{id}", "/api/machines/api-1").body("{}"),
        call(patch.clone(), "/api/machines/{id}", "/api/machines/nope").token().body("{}"),
        call(patch.clone(), "/api/machines/{id}", "/api/machines/api-1").token().body("{not json"),
        call(get.clone(), "/api/machines/{id}/recent", "/api/machines/api-1/recent"),
        call(get.clone(), "/api/machines/{id}/recent", "/api/machines/nope/recent"),
        call(get.clone(), "/api/machines/{id}/history", "/api/machines/api-1/history?metrics=cpu_percent,load1"),
        call(get.clone(), "/api/machines/{id}/history", "/api/machines/api-1/history?step=1m&from=-1h"),
        call(get.clone(), "/api/machines/{id}/history", "/api/machines/api-1/history?from=yesterday"),
        call(get.clone(), "/api/machines/{id}/history", "/api/machines/api-1/history?step=raw&step=1m"),
        call(get.clone(), "/api/machines/{id}/history", "/api/machines/nope/history"),
        call(get.clone(), "/api/rules", "/api/rules"),
        call(post.clone(), "/api/rules", "/api/rules").token().body(rule.to_string()),
        call(post.clone(), "/api/rules", "/api/rules").body(rule.to_string()),
        call(post.clone(), "/api/rules", "/api/rules").token().body("{not json"),
        call(post.clone(), "/api/rules", "/api/rules").token().body(json!({"name": "x"}).to_string()),
        call(post.clone(), "/api/rules", "/api/rules").token().body("x".repeat(100_000)),
        call(get.clone(), r, one.clone()),
        call(get.clone(), r, "/api/rules/nope"),
        call(patch.clone(), r, one.clone()).token().body(json!({"threshold": 90}).to_string()),
        call(patch.clone(), r, one.clone()).token().body(json!({"threshold": "high"}).to_string()),
        call(patch.clone(), r, one.clone()).token().body(json!({"threshold": 80, "version": 1}).to_string()),
        call(put.clone(), r, one.clone()).token().body(rule.to_string()),
        call(put.clone(), r, "/api/rules/nope").token().body(rule.to_string()),
        call(put.clone(), r, one.clone()).body(rule.to_string()),
        call(get.clone(), "/api/alerts", "/api/alerts"),
        call(get.clone(), "/api/alerts", "/api/alerts?state=firing&limit=5"),
        call(get.clone(), "/api/alerts", "/api/alerts?state=firing&state=resolved"),
        call(get.clone(), "/api/alerts", "/api/alerts?limit=many"),
        call(get.clone(), "/api/alerts", "/api/alerts?state=sleeping"),
        call(get.clone(), "/api/session", "/api/session"),
        call(post.clone(), "/api/session", "/api/session").body(json!({"token": "wrong"}).to_string()),
        call(post.clone(), "/api/session", "/api/session").body(json!({}).to_string()),
        call(delete.clone(), "/api/session", "/api/session"),
        call(get.clone(), "/ws", "/ws"),
        call(get.clone(), "/ws", "/ws").header("connection", "upgrade").header("upgrade", "websocket"),
        call(get.clone(), "/ws", "/ws").header("origin", "http://evil.example"),
        call(delete.clone(), r, "/api/rules/nope").token(),
        call(delete.clone(), r, one.clone()),
        call(delete.clone(), r, one.clone()).token(),
        call(get.clone(), "/install.sh", "/install.sh"),
        call(get.clone(), "/install.sh", "/install.sh").header("host", "hub;reboot"),
        call(get.clone(), "/download/sysmonstm-agent", "/download/sysmonstm-agent"),
        call(get.clone(), "/download/sysmonstm-agent.sha256", "/download/sysmonstm-agent.sha256"),
        call(get.clone(), tokens, tokens).token(),
        call(get.clone(), tokens, tokens),
        call(post.clone(), tokens, tokens).token().body(issue.to_string()),
        call(post.clone(), tokens, tokens).token().body(json!({"machine_glob": "a b"}).to_string()),
        call(post.clone(), tokens, tokens).token().body("{not json"),
        call(post.clone(), tokens, tokens).token().body("x".repeat(100_000)),
        call(post.clone(), tokens, tokens).body(issue.to_string()),
        call(get.clone(), token_one, t).token(),
        call(delete.clone(), token_one, t).token(),
        call(get.clone(), "/api/alerts/{id}", "/api/alerts/nope"),
        call(get.clone(), "/api/channels", "/api/channels").token(),
        call(get.clone(), "/api/channels", "/api/channels"),
        call(post.clone(), "/api/channels", "/api/channels").token().body(channel.to_string()),
        call(post.clone(), "/api/channels", "/api/channels")
            .token()
            .body(json!({"name": "t", "kind": "telegram", "bot_token": "1:x", "chat_id": "general"}).to_string()),
        call(post.clone(), "/api/channels", "/api/channels").token().body("{not json"),
        call(get.clone(), "/api/channels/{id}", "/api/channels/nope").token(),
        call(put.clone(), "/api/channels/{id}", "/api/channels/nope").token().body(channel.to_string()),
        call(patch.clone(), "/api/channels/{id}", "/api/channels/nope").token().body("{}"),
        call(delete.clone(), "/api/channels/{id}", "/api/channels/nope").token(),
        call(post.clone(), "/api/channels/{id}/test", "/api/channels/nope/test").token(),
        call(get.clone(), "/api/silences", "/api/silences"),
        call(post.clone(), "/api/silences", "/api/silences").token().body(
            json!({"machines": "api-*",
            "ends_at": "2999-01-01T00:00:00Z", "comment": "c", "created_by": "alice"})
            .to_string(),
        ),
        call(post.clone(), "/api/silences", "/api/silences").token().body(
            json!({"recurring": {"days": ["sat"],
            "start": "22:00", "duration": "4h", "time_zone": "Europe/Berlin"}})
            .to_string(),
        ),
        call(post.clone(), "/api/silences", "/api/silences").token().body(json!({"ends_at": 1}).to_string()),
        call(post.clone(), "/api/silences", "/api/silences").body("{}"),
        call(get.clone(), "/api/silences/{id}", "/api/silences/nope"),
        call(delete.clone(), "/api/silences/{id}", "/api/silences/nope").token(),
        call(post.clone(), "/api/alerts/{id}/ack", "/api/alerts/nope/ack").token().body("{}"),
        call(post.clone(), "/api/alerts/{id}/ack", "/api/alerts/nope/ack").token().body(json!({"why": 1}).to_string()),
        call(get.clone(), "/api/audit", "/api/audit").token(),
        call(get.clone(), "/api/audit", "/api/audit?limit=2&action=rule.update"),
        call(get.clone(), "/api/audit", "/api/audit?limit=zero").token(),
        call(delete.clone(), "/api/machines/{id}", "/api/machines/api-1"),
        call(delete.clone(), "/api/machines/{id}", "/api/machines/api-1").token(),
        call(delete.clone(), "/api/machines/{id}", "/api/machines/api-1?purge=everything").token(),
        call(delete.clone(), "/api/machines/{id}", "/api/machines/nope").token(),
        // Last: the machine the calls above read is gone after it.
        call(delete.clone(), "/api/machines/{id}", "/api/machines/api-1?force=true&purge=history").token(),
    ];
    let missing_binary = [
        call(get.clone(), "/download/sysmonstm-agent", "/download/sysmonstm-agent"),
        call(get.clone(), "/download/sysmonstm-agent.sha256", "/download/sysmonstm-agent.sha256"),
    ];
    let mut problems = Vec::new();
    let mut seen: std::collections::BTreeSet<(String, &str)> = Default::default();
    let bare_base = bare.http();
    let all = calls.iter().map(|c| (&base, c)).chain(missing_binary.iter().map(|c| (&bare_base, c)));
    for (base, c) in all {
        let (status, found) = conform(&doc, base, c).await;
        seen.insert((c.method.as_str().to_lowercase(), c.template));
        problems.extend(found);
        if status >= 500 {
            problems.push(format!("{} {}: {status}", c.method, c.url));
        }
    }
    // A token's own page and its revocation, by the id just issued.
    let (_, listed) = get_json_with(&format!("{base}/api/agent-tokens"), TOKEN).await;
    let issued = format!("/api/agent-tokens/{}", listed[0]["id"].as_str().expect("an issued token"));
    for c in [call(get.clone(), token_one, issued.clone()).token(), call(delete.clone(), token_one, issued).token()] {
        let (status, found) = conform(&doc, &base, &c).await;
        assert!(status < 300, "{} {}: {status}", c.method, c.url);
        seen.insert((c.method.as_str().to_lowercase(), c.template));
        problems.extend(found);
    }
    // A channel's own paths, by the id just made.
    let (_, listed) = get_json_with(&format!("{base}/api/channels"), TOKEN).await;
    let made = format!("/api/channels/{}", listed[0]["id"].as_str().expect("a channel"));
    let (c_one, c_test) = ("/api/channels/{id}", "/api/channels/{id}/test");
    for c in [
        call(get.clone(), c_one, made.clone()).token(),
        call(patch.clone(), c_one, made.clone()).token().body(json!({"name": "renamed"}).to_string()),
        call(patch.clone(), c_one, made.clone()).token().body(json!({"version": 99}).to_string()),
        call(put.clone(), c_one, made.clone()).token().body(channel.to_string()),
        call(post.clone(), c_test, format!("{made}/test")).token(),
        call(delete.clone(), c_one, made.clone()).token(),
    ] {
        let (status, found) = conform(&doc, &base, &c).await;
        assert!(status < 500, "{} {}: {status}", c.method, c.url);
        seen.insert((c.method.as_str().to_lowercase(), c.template));
        problems.extend(found);
    }
    // A silence's own paths, by the id just made.
    let (_, silences) = get_json(&format!("{base}/api/silences")).await;
    let made = format!("/api/silences/{}", silences[0]["id"].as_str().expect("a silence"));
    for c in [
        call(get.clone(), "/api/silences/{id}", made.clone()),
        call(delete.clone(), "/api/silences/{id}", made).token(),
    ] {
        let (status, found) = conform(&doc, &base, &c).await;
        assert!(status < 300, "{} {}: {status}", c.method, c.url);
        seen.insert((c.method.as_str().to_lowercase(), c.template));
        problems.extend(found);
    }
    // Every documented operation was called.
    for (path, operations) in doc["paths"].as_object().expect("paths") {
        for method in operations.as_object().expect("operations").keys() {
            if !seen.iter().any(|(m, t)| m == method && t == path) {
                problems.push(format!("{method} {path} is documented and this test does not call it"));
            }
        }
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_methods_are_405_and_head_is_get_without_a_body() {
    let hub = TestHub::start();
    let base = hub.http();
    let (_, doc) = get_json(&format!("{base}/api/openapi.json")).await;
    let client = reqwest::Client::new();
    let mut problems = Vec::new();
    for (path, operations) in doc["paths"].as_object().expect("paths") {
        let url = format!("{base}{}", path.replace("{id}", "x"));
        let documented: Vec<String> = operations.as_object().expect("ops").keys().map(|m| m.to_uppercase()).collect();
        for method in [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            if documented.iter().any(|m| m == method.as_str()) {
                continue;
            }
            let response = client.request(method.clone(), &url).send().await.expect("request");
            let status = response.status().as_u16();
            let allow = response.headers().get("allow").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            let json = response.headers().get("content-type").is_some_and(|t| t == "application/json");
            let body: Value = response.json().await.unwrap_or(Value::Null);
            let allowed: Vec<&str> = allow.split(", ").collect();
            let lists_each = documented.iter().all(|m| allowed.contains(&m.as_str()));
            if status != 405 || !json || !body["error"].is_string() || !lists_each {
                problems.push(format!("{method} {path}: {status}, Allow {allow:?}, json {json}, {body}"));
            }
        }
        if documented.iter().any(|m| m == "GET") && path != "/ws" {
            let get = client.get(&url).send().await.expect("GET");
            let get_status = get.status().as_u16();
            let head = client.head(&url).send().await.expect("HEAD");
            let head_status = head.status().as_u16();
            let body = head.bytes().await.expect("body");
            if head_status != get_status || !body.is_empty() {
                problems.push(format!("HEAD {path}: {head_status} (GET {get_status}), {} bytes", body.len()));
            }
        }
    }
    // The dashboard's files take GET and HEAD only, and say so in JSON.
    let response = client.post(format!("{base}/index.html")).send().await.expect("POST a file");
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers().get("allow").map(|v| v.as_bytes()), Some(&b"GET, HEAD"[..]));
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_and_the_api_cannot_be_framed_or_sniffed() {
    let hub = TestHub::start();
    let base = hub.http();
    for path in ["/", "/index.html", "/js/app.js", "/api/machines", "/api/rules", "/no-such-file", "/health"] {
        let response = reqwest::get(format!("{base}{path}")).await.expect("request");
        let headers = response.headers();
        let csp = headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"), "{path}: {csp:?}");
        assert_eq!(headers.get("x-content-type-options").map(|v| v.as_bytes()), Some(&b"nosniff"[..]), "{path}");
        assert_eq!(headers.get("x-frame-options").map(|v| v.as_bytes()), Some(&b"DENY"[..]), "{path}");
        assert!(headers.get("referrer-policy").is_some(), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_asks_the_server_instead_of_repeating_it() {
    let hub = TestHub::start();
    let (status, meta) = get_json(&format!("{}/api/meta", hub.http())).await;
    assert_eq!(status, 200);
    let metrics: Vec<&str> = sysmonstm_hub::metrics::METRICS.iter().map(|m| m.name).chain(["offline"]).collect();
    assert_eq!(meta["metrics"], json!(metrics));
    use sysmonstm_protocol::model::thresholds::*;
    assert_eq!(meta["health"]["cpu_percent"], json!({"warning": CPU_WARNING, "critical": CPU_CRITICAL}));
    assert_eq!(meta["health"]["disk_percent"], json!({"warning": DISK_WARNING, "critical": DISK_CRITICAL}));
    let form: Vec<&str> =
        meta["rule_fields"].as_array().expect("fields").iter().filter_map(|f| f["name"].as_str()).collect();
    assert!(form.contains(&"clear_threshold") && form.contains(&"webhooks"), "{form:?}");
    // The dashboard's code repeats none of it: no file lists metric names
    // or passes health limits of its own.
    let js = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../static/js");
    for entry in std::fs::read_dir(&js).expect("static/js") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("readable");
        // The list is an array literal naming most metrics (a chart of the
        // three load averages chooses what to draw; it repeats nothing).
        for list in text.split('[').skip(1).map(|rest| rest.split(']').next().unwrap_or("")) {
            let named: Vec<&&str> = metrics.iter().filter(|m| list.contains(&format!("'{m}'"))).collect();
            assert!(named.len() <= metrics.len() / 2, "{} lists metrics {named:?}: ask /api/meta", path.display());
        }
        for limits in ["80, 95", "85, 95", "80, 90"] {
            assert!(!text.contains(limits), "{} repeats health limits ({limits}): ask /api/meta", path.display());
        }
    }
}
