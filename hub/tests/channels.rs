//! Notification channels: over REST (secrets write-only, every refusal
//! naming its field, rules naming only channels that exist), each kind
//! against a receiver on loopback speaking its service's API, email
//! against a real SMTP server (plain with AUTH, STARTTLS, TLS), and a real
//! alert notifying its channels with every attempt logged on the alert.

mod common;

use std::time::Duration;

use common::receiver::{Received, Receiver};
use common::smtp::{SmtpMode, SmtpSink};
use common::*;
use hmac::{KeyInit, Mac};
use reqwest::Method;
use serde_json::{json, Value};

const TOKEN: &str = "test-admin-token";
const BOT_TOKEN: &str = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ";
const ROUTING_KEY: &str = "0123456789abcdef0123456789ABCDEF";
const SECRET: &str = "a webhook secret of some length";

fn hub(allow_private: bool) -> TestHub {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    config.admin_token = Some(TOKEN.into());
    config.allow_private_webhooks = allow_private;
    config.dashboard_url = Some("https://hub.example.com".into());
    TestHub::start_with(config, dir)
}

async fn post(hub: &TestHub, path: &str, body: Value) -> (u16, Value) {
    send_json(Method::POST, &format!("{}{path}", hub.http()), Some(TOKEN), &body).await
}

/// Makes a channel; its id.
async fn channel(hub: &TestHub, body: Value) -> String {
    let (status, made) = post(hub, "/api/channels", body).await;
    assert_eq!(status, 201, "{made}");
    made["id"].as_str().expect("id").to_owned()
}

/// Tests a channel; the outcome.
async fn test_send(hub: &TestHub, id: &str) -> Value {
    let (status, outcome) = post(hub, &format!("/api/channels/{id}/test"), json!({})).await;
    assert_eq!(status, 200, "{outcome}");
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_over_rest_keep_secrets_and_refuse_bad_input() {
    let hub = hub(false);
    let url = format!("{}/api/channels", hub.http());
    let telegram = json!({"name": "ops chat", "kind": "telegram", "bot_token": BOT_TOKEN, "chat_id": -1001});
    let (status, _) = send_json(Method::POST, &url, None, &telegram).await;
    assert_eq!(status, 401, "changes need the admin token");
    let (status, _) = send_json(Method::GET, &url, None, &Value::Null).await;
    assert_eq!(status, 401, "reading channels needs it too");

    let (status, made) = send_json(Method::POST, &url, Some(TOKEN), &telegram).await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_str().expect("id").to_owned();
    assert_eq!((made["bot_token_set"].clone(), made.get("bot_token")), (json!(true), None), "{made}");
    let (_, listed) = send_json(Method::GET, &url, Some(TOKEN), &Value::Null).await;
    assert!(!listed.to_string().contains(BOT_TOKEN), "a GET never shows the secret: {listed}");
    let one = format!("{url}/{id}");
    let (status, patched) = send_json(Method::PATCH, &one, Some(TOKEN), &json!({"chat_id": "42"})).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!((patched["chat_id"].clone(), patched["version"].clone()), (json!(42), json!(2)));
    assert_eq!(patched["bot_token_set"], json!(true), "a secret left out is kept");
    let (status, stale) = send_json(Method::PATCH, &one, Some(TOKEN), &json!({"version": 1, "name": "x"})).await;
    assert_eq!((status, stale["field"].as_str()), (409, Some("version")), "{stale}");

    for (body, field) in [
        (
            json!({"name": "m", "kind": "email", "smtp_host": "mail.example.com", "smtp_port": 0,
            "from": "hub@example.com", "to": ["ops@example.com"]}),
            "smtp_port",
        ),
        (json!({"name": "t", "kind": "telegram", "bot_token": BOT_TOKEN, "chat_id": "general"}), "chat_id"),
        (json!({"name": "n", "kind": "ntfy", "url": "https://ntfy.sh/"}), "url"),
        (json!({"name": "s", "kind": "slack", "url": "http://127.0.0.1:9/hook"}), "url"),
        (json!({"name": "p", "kind": "pagerduty", "routing_key": "short"}), "routing_key"),
        (json!({"name": "w", "kind": "fax"}), "kind"),
    ] {
        let (status, refused) = send_json(Method::POST, &url, Some(TOKEN), &body).await;
        assert_eq!((status, refused["field"].as_str()), (422, Some(field)), "{body} → {refused}");
    }

    // Rules name only channels that exist; a channel a rule names stays.
    let rules = format!("{}/api/rules", hub.http());
    let rule = |channels: Value| json!({"name": "hot web", "metric": "cpu_percent", "comparison": ">", "threshold": 90, "channels": channels});
    let (status, refused) = send_json(Method::POST, &rules, Some(TOKEN), &rule(json!(["nope"]))).await;
    assert_eq!((status, refused["field"].as_str()), (422, Some("channels")), "{refused}");
    let (status, made_rule) = send_json(Method::POST, &rules, Some(TOKEN), &rule(json!([id]))).await;
    assert_eq!(status, 201, "{made_rule}");
    assert_eq!(made_rule["channels"], json!([id]));
    let (status, in_use) = send_json(Method::DELETE, &one, Some(TOKEN), &Value::Null).await;
    assert_eq!((status, in_use["field"].as_str()), (409, Some("rules")), "{in_use}");
    assert!(in_use["error"].as_str().expect("error").contains("hot web"), "names the rule: {in_use}");
    let rule_url = format!("{rules}/{}", made_rule["id"].as_str().expect("rule id"));
    let (status, _) = send_json(Method::PATCH, &rule_url, Some(TOKEN), &json!({"channels": []})).await;
    assert_eq!(status, 200);
    let (status, _) = send_json(Method::DELETE, &one, Some(TOKEN), &Value::Null).await;
    assert_eq!(status, 204);
    let (status, gone) = send_json(Method::GET, &one, Some(TOKEN), &Value::Null).await;
    assert_eq!(status, 404, "{gone}");

    // Audited, never with the secret.
    let (_, audit) =
        send_json(Method::GET, &format!("{}/api/audit?target={id}", hub.http()), Some(TOKEN), &Value::Null).await;
    let actions: Vec<&str> = audit.as_array().expect("entries").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, vec!["channel.delete", "channel.update", "channel.create"], "{audit}");
    assert!(!audit.to_string().contains(BOT_TOKEN), "{audit}");
}

/// The signature as the documented check computes it, by the receiver's own code.
fn expected_signature(timestamp: &str, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    format!("sha256={}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Checks a signed webhook request as a receiver would.
fn check_signed(request: &Received) {
    let timestamp = request.header("x-sysmonstm-timestamp").expect("timestamp header");
    let signature = request.header("x-sysmonstm-signature").expect("signature header");
    assert_eq!(signature, expected_signature(timestamp, &request.body), "the signature verifies with the secret");
    let sent: i64 = timestamp.parse().expect("seconds");
    let now = sysmonstm_hub::now_ms() / 1000;
    assert!((now - sent).abs() < 60, "sent just now: {sent} vs {now}");
    use sysmonstm_hub::notify::sign::{verify, Refused};
    assert_eq!(verify(SECRET, timestamp, signature, &request.body, now), Ok(()));
    // Replayed later than the window: the documented check refuses it.
    let later = now + sysmonstm_hub::notify::sign::REPLAY_WINDOW.as_secs() as i64 + 1;
    assert!(matches!(verify(SECRET, timestamp, signature, &request.body, later), Err(Refused::Stale(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_reaches_a_receiver_in_its_services_shape() {
    let hub = hub(true);
    let mut receiver = Receiver::start().await;
    let base = receiver.base.clone();

    let slack = channel(&hub, json!({"name": "slack", "kind": "slack", "url": format!("{base}/slack/T1/B2/x")})).await;
    assert_eq!(test_send(&hub, &slack).await["ok"], json!(true));
    let got = receiver.next().await;
    assert_eq!((got.method.as_str(), got.path.as_str()), ("POST", "/slack/T1/B2/x"));
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert!(got.json()["text"].as_str().expect("text").starts_with("*[TEST] sysmonstm"), "{:?}", got.json());

    let discord = channel(
        &hub,
        json!({"name": "discord", "kind": "discord",
        "url": format!("{base}/discord/api/webhooks/1/tok")}),
    )
    .await;
    assert_eq!(test_send(&hub, &discord).await["ok"], json!(true));
    let got = receiver.next().await.json();
    assert!(got["embeds"][0]["title"].as_str().expect("title").contains("[TEST]"), "{got}");
    assert_eq!(got["allowed_mentions"], json!({"parse": []}));

    let telegram = channel(
        &hub,
        json!({"name": "telegram", "kind": "telegram", "bot_token": BOT_TOKEN,
        "chat_id": -100123, "api_url": base}),
    )
    .await;
    assert_eq!(test_send(&hub, &telegram).await["ok"], json!(true));
    let got = receiver.next().await;
    assert_eq!(got.path, format!("/bot{BOT_TOKEN}/sendMessage"));
    assert_eq!((got.json()["chat_id"].clone(), got.json()["parse_mode"].clone()), (json!(-100123), json!("HTML")));

    let ntfy = channel(
        &hub,
        json!({"name": "ntfy", "kind": "ntfy", "url": format!("{base}/ops-alerts"),
        "token": "tk_secret"}),
    )
    .await;
    assert_eq!(test_send(&hub, &ntfy).await["ok"], json!(true));
    let got = receiver.next().await;
    assert_eq!((got.path.as_str(), got.header("authorization")), ("/", Some("Bearer tk_secret")));
    assert_eq!((got.json()["topic"].clone(), got.json()["priority"].clone()), (json!("ops-alerts"), json!(3)));

    let gotify = channel(&hub, json!({"name": "gotify", "kind": "gotify", "url": base, "token": "AppTok"})).await;
    assert_eq!(test_send(&hub, &gotify).await["ok"], json!(true));
    let got = receiver.next().await;
    assert_eq!((got.path.as_str(), got.header("x-gotify-key")), ("/message", Some("AppTok")));
    assert!(got.json()["title"].as_str().expect("title").contains("[TEST]"));

    let pager = channel(
        &hub,
        json!({"name": "pager", "kind": "pagerduty", "routing_key": ROUTING_KEY,
        "url": format!("{base}/v2/enqueue")}),
    )
    .await;
    assert_eq!(test_send(&hub, &pager).await["ok"], json!(true));
    let (trigger, resolve) = (receiver.next().await.json(), receiver.next().await.json());
    assert_eq!(
        (trigger["event_action"].clone(), resolve["event_action"].clone()),
        (json!("trigger"), json!("resolve"))
    );
    assert_eq!(trigger["dedup_key"], resolve["dedup_key"], "a test opens an incident and closes it");
    assert_eq!(trigger["payload"]["severity"], json!("info"));

    let hook = channel(
        &hub,
        json!({"name": "hook", "kind": "webhook", "url": format!("{base}/hook"),
        "secret": SECRET}),
    )
    .await;
    assert_eq!(test_send(&hub, &hook).await["ok"], json!(true));
    let got = receiver.next().await;
    check_signed(&got);
    assert_eq!(got.json()["test"], json!(true));

    // A service that cannot be reached: the test says so, and it is counted.
    let dead = channel(
        &hub,
        json!({"name": "dead", "kind": "ntfy",
        "url": format!("http://127.0.0.1:{}/t", free_port())}),
    )
    .await;
    let outcome = test_send(&hub, &dead).await;
    assert_eq!(outcome["ok"], json!(false), "{outcome}");
    assert!(!outcome["error"].as_str().expect("error").is_empty());
    let (_, stats) = get_json(&format!("{}/api/stats", hub.http())).await;
    assert_eq!(stats["notifications"]["ntfy"], json!({"sent": 1, "failed": 1}), "{stats}");
    assert_eq!(stats["notifications"]["pagerduty"]["sent"], json!(1));
    let metrics = reqwest::get(format!("{}/metrics", hub.http())).await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains(r#"sysmonstm_notifications_total{kind="ntfy",outcome="failed"} 1"#), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_notifies_its_channels_and_logs_every_attempt() {
    let hub = hub(true);
    let mut receiver = Receiver::start().await;
    let base = receiver.base.clone();
    let hook =
        channel(&hub, json!({"name": "hook", "kind": "webhook", "url": format!("{base}/hook"), "secret": SECRET}))
            .await;
    let pager = channel(
        &hub,
        json!({"name": "pager", "kind": "pagerduty", "routing_key": ROUTING_KEY,
        "url": format!("{base}/v2/enqueue")}),
    )
    .await;
    let (status, rule) = post(
        &hub,
        "/api/rules",
        json!({"name": "busy", "metric": "cpu_percent",
        "comparison": ">=", "threshold": 0, "for": "0s", "severity": "critical", "channels": [hook, pager]}),
    )
    .await;
    assert_eq!(status, 201, "{rule}");
    let mut agent = TestAgent::start(&hub.grpc(), "notify-1", Duration::from_millis(200), None);

    let mut by_path = std::collections::HashMap::new();
    for _ in 0..2 {
        let got = receiver.next().await;
        by_path.insert(got.path.clone(), got);
    }
    let signed = &by_path["/hook"];
    check_signed(signed);
    let body = signed.json();
    assert_eq!((body["state"].clone(), body["alert"]["machine_id"].clone()), (json!("firing"), json!("notify-1")));
    assert_eq!(body["rule"]["id"], rule["id"]);
    let alert_id = body["alert"]["id"].as_str().expect("alert id").to_owned();
    let trigger = by_path["/v2/enqueue"].json();
    assert_eq!((trigger["event_action"].clone(), trigger["dedup_key"].clone()), (json!("trigger"), json!(alert_id)));
    assert_eq!(trigger["payload"]["source"], json!("notify-1"));
    assert_eq!(trigger["payload"]["severity"], json!("critical"));
    assert_eq!(trigger["client_url"], json!("https://hub.example.com/#/machine/notify-1"));

    let alert_url = format!("{}/api/alerts/{alert_id}", hub.http());
    let shown = eventually("both deliveries logged", || async {
        let (_, alert) = get_json(&alert_url).await;
        (alert["deliveries"].as_array().map(Vec::len) == Some(2)).then_some(alert)
    })
    .await;
    let mut kinds: Vec<&str> =
        shown["deliveries"].as_array().expect("deliveries").iter().map(|d| d["kind"].as_str().expect("kind")).collect();
    kinds.sort();
    assert_eq!(kinds, vec!["pagerduty", "webhook"]);
    assert!(shown["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .all(|d| d["ok"] == json!(true) && d["attempt"] == json!(1)));
    let (status, _) = get_json(&format!("{}/api/alerts/nope", hub.http())).await;
    assert_eq!(status, 404);

    // Resolving: PagerDuty resolves the same incident.
    let rule_url = format!("{}/api/rules/{}", hub.http(), rule["id"].as_str().expect("rule id"));
    let (status, _) = send_json(Method::PATCH, &rule_url, Some(TOKEN), &json!({"threshold": 101})).await;
    assert_eq!(status, 200);
    let mut resolved = std::collections::HashMap::new();
    for _ in 0..2 {
        let got = receiver.next().await;
        resolved.insert(got.path.clone(), got.json());
    }
    assert_eq!(resolved["/v2/enqueue"]["event_action"], json!("resolve"));
    assert_eq!(resolved["/v2/enqueue"]["dedup_key"], json!(alert_id));
    assert_eq!(resolved["/hook"]["state"], json!("resolved"));
    agent.stop().await;
}

fn email(port: u16, tls: &str, extra: Value) -> Value {
    let mut body = json!({"name": format!("mail {tls}"), "kind": "email", "smtp_host": "127.0.0.1",
        "smtp_port": port, "tls": tls, "from": "sysmonstm <hub@example.com>",
        "to": ["ops@example.com", "Night Shift <night@example.com>"]});
    for (k, v) in extra.as_object().expect("object") {
        body[k] = v.clone();
    }
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_reaches_a_real_smtp_server() {
    let hub = hub(false);
    let pki = tls::make();
    let ca = String::from_utf8(pki.pem("ca.pem")).expect("PEM");

    // Plain SMTP with AUTH, as a relay on the same network speaks.
    let mut plain = SmtpSink::start(SmtpMode::Plain, None, Some(("hub", "mail-pass")));
    let id = channel(&hub, email(plain.port, "none", json!({"username": "hub", "password": "mail-pass"}))).await;
    let outcome = test_send(&hub, &id).await;
    assert_eq!((outcome["ok"].clone(), outcome["error"].clone()), (json!(true), Value::Null), "{outcome}");
    assert!(outcome["took_ms"].is_u64());
    let mail = plain.next().await;
    assert_eq!(mail["rcpt_tos"], json!(["ops@example.com", "night@example.com"]));
    assert_eq!((mail["mail_from"].clone(), mail["login"].clone()), (json!("hub@example.com"), json!("hub")));
    assert_eq!(mail["tls"], json!(false), "plain SMTP");
    let data = mail["data"].as_str().expect("data");
    assert!(data.contains("Subject: [TEST] sysmonstm"), "{data}");
    assert!(data.contains("this channel works"), "{data}");
    let wrong = channel(&hub, email(plain.port, "none", json!({"username": "hub", "password": "nope"}))).await;
    let outcome = test_send(&hub, &wrong).await;
    assert_eq!(outcome["ok"], json!(false), "{outcome}");
    assert!(outcome["error"].as_str().expect("error").contains("535"), "the server's refusal: {outcome}");

    // STARTTLS and implicit TLS, trusting the server's CA.
    for (mode, name) in [(SmtpMode::Starttls, "starttls"), (SmtpMode::Tls, "tls")] {
        let mut server = SmtpSink::start(mode, Some(pki.dir.path()), Some(("hub", "tls-pass")));
        let id = channel(
            &hub,
            email(server.port, name, json!({"username": "hub", "password": "tls-pass", "ca_certificate": ca})),
        )
        .await;
        let outcome = test_send(&hub, &id).await;
        assert_eq!(outcome["ok"], json!(true), "{name}: {outcome}");
        let mail = server.next().await;
        assert_eq!((mail["tls"].clone(), mail["login"].clone()), (json!(true), json!("hub")), "{name}");
        // Without the CA the server's certificate is not trusted.
        let untrusted =
            channel(&hub, email(server.port, name, json!({"username": "hub", "password": "tls-pass"}))).await;
        let outcome = test_send(&hub, &untrusted).await;
        assert_eq!(outcome["ok"], json!(false), "{name} without its CA: {outcome}");
    }
}
