//! Bad input gets a clear error and loses nothing: gRPC messages, tokens,
//! WebSocket frames.

mod common;

use common::*;
use sysmonstm_protocol::pb::{self, agent_message};

fn assert_invalid(result: Result<RawAgent, tonic::Status>, needle: &str) {
    let status = result.err().expect("hub refuses the stream");
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains(needle), "message `{}` lacks `{needle}`", status.message());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_bad_hello() {
    let hub = TestHub::start();
    let grpc = hub.grpc();
    assert_invalid(RawAgent::open(&grpc, None, sample(1)).await, "first message must be Hello");
    assert_invalid(RawAgent::open(&grpc, None, hello("", "i")).await, "machine_id is empty");
    assert_invalid(RawAgent::open(&grpc, None, hello(&"x".repeat(129), "i")).await, "at most 128");
    assert_invalid(RawAgent::open(&grpc, None, hello("bad\nid", "i")).await, "control character");
    assert_invalid(RawAgent::open(&grpc, None, pb::AgentMessage { msg: None }).await, "empty");
    assert!(machines(&hub.http()).await.is_empty(), "nothing is listed after refused streams");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_bad_sample_mid_stream() {
    let hub = TestHub::start();
    let mut raw = RawAgent::open(&hub.grpc(), None, hello("it-bad", "i1")).await.expect("accepted");
    let welcome = raw.next().await.expect("ok").expect("welcome");
    assert!(matches!(welcome.msg, Some(pb::hub_message::Msg::Welcome(pb::Welcome { last_seq: 0, .. }))));
    raw.send(sample(1)).await;
    assert_eq!(raw.ack_at_least(1).await, 1);
    let mut nan = sample(2);
    if let Some(agent_message::Msg::Sample(s)) = &mut nan.msg {
        s.cpu = Some(pb::CpuStats { total_percent: f64::NAN, ..Default::default() });
    }
    raw.send(nan).await;
    let status = raw.ending_status().await;
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().contains("sample.cpu.total_percent"), "{}", status.message());
    // The good sample is still there; the bad one was not applied.
    assert_eq!(recent_seqs(&hub.http(), "it-bad").await, vec![1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_seq_is_ignored_and_acked() {
    let hub = TestHub::start();
    let mut raw = RawAgent::open(&hub.grpc(), None, hello("it-dup", "i1")).await.expect("accepted");
    for seq in [1, 2, 2, 1, 3] {
        raw.send(sample(seq)).await;
    }
    assert_eq!(raw.ack_at_least(3).await, 3);
    assert_eq!(recent_seqs(&hub.http(), "it-dup").await, vec![1, 2, 3]);

    // A reconnect of the same instance gets last_seq in Welcome.
    drop(raw);
    let mut again = RawAgent::open(&hub.grpc(), None, hello("it-dup", "i1")).await.expect("accepted");
    match again.next().await.expect("ok").expect("welcome").msg {
        Some(pb::hub_message::Msg::Welcome(w)) => assert_eq!(w.last_seq, 3),
        other => panic!("expected Welcome, got {other:?}"),
    }
    // A new instance starts again at 0.
    let mut fresh = RawAgent::open(&hub.grpc(), None, hello("it-dup", "i2")).await.expect("accepted");
    match fresh.next().await.expect("ok").expect("welcome").msg {
        Some(pb::hub_message::Msg::Welcome(w)) => assert_eq!(w.last_seq, 0),
        other => panic!("expected Welcome, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_tokens_are_enforced_per_machine_glob() {
    use sysmonstm_hub::token_rules::parse_rule;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    config.agent_tokens = ["web-token-0123456789=it-web-*", "any-token-0123456789"]
        .iter()
        .map(|r| parse_rule(r).expect("rule"))
        .collect();
    let hub = TestHub::start_with(config, dir);
    for token in [None, Some("wrong")] {
        let status = RawAgent::open(&hub.grpc(), token, hello("it-web-1", "i")).await.err().expect("refused");
        assert_eq!(status.code(), tonic::Code::Unauthenticated, "{token:?}");
    }
    let status = RawAgent::open(&hub.grpc(), Some("web-token-0123456789"), hello("it-db-1", "i"))
        .await
        .err()
        .expect("outside the token's glob");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    assert!(status.message().contains("it-web-*"), "{}", status.message());
    assert!(machines(&hub.http()).await.is_empty(), "nothing stored for refused agents");
    let _web =
        TestAgent::start(&hub.grpc(), "it-web-1", std::time::Duration::from_millis(200), Some("web-token-0123456789"));
    let _db =
        TestAgent::start(&hub.grpc(), "it-db-1", std::time::Duration::from_millis(200), Some("any-token-0123456789"));
    wait_status(&hub.http(), "it-web-1", "online").await;
    wait_status(&hub.http(), "it-db-1", "online").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_ignores_text_it_does_not_understand() {
    let hub = TestHub::start();
    let mut ws = ws_connect(&hub.http()).await;
    assert_eq!(ws_next(&mut ws).await["type"], "snapshot");
    ws_send_text(&mut ws, "this is not JSON {").await;
    ws_send_text(&mut ws, r#"{"type":"subscribe","what":"everything"}"#).await;
    let _agent = TestAgent::start(&hub.grpc(), "it-ws", std::time::Duration::from_millis(200), None);
    let update = ws_until(&mut ws, "it-ws", |m| m["status"] == "online").await;
    assert_eq!(update["machine_id"], "it-ws");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_api_path_is_json_404() {
    let hub = TestHub::start();
    let (status, body) = get_json(&format!("{}/api/nothing-here", hub.http())).await;
    assert_eq!(status, 404);
    assert!(body["error"].as_str().expect("error").contains("/api/nothing-here"));
    let (status, _) = get_json(&format!("{}/no-such-file.js", hub.http())).await;
    assert_eq!(status, 404);
    let index = reqwest::get(format!("{}/", hub.http())).await.expect("dashboard");
    assert_eq!(index.status(), 200);
    assert!(index.text().await.expect("html").contains("sysmonstm"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newer_connection_replaces_the_older_one() {
    let hub = TestHub::start();
    let mut old = RawAgent::open(&hub.grpc(), None, hello("it-twice", "i1")).await.expect("accepted");
    old.send(sample(1)).await;
    old.ack_at_least(1).await;
    let mut new = RawAgent::open(&hub.grpc(), None, hello("it-twice", "i1")).await.expect("accepted");
    let status = old.ending_status().await;
    assert_eq!(status.code(), tonic::Code::Aborted);
    assert!(status.message().contains("replaced"), "{}", status.message());
    new.send(sample(2)).await;
    assert_eq!(new.ack_at_least(2).await, 2);
    assert_eq!(recent_seqs(&hub.http(), "it-twice").await, vec![1, 2]);
}

/// Opens `/ws` with an `Origin` header; the HTTP status of the answer.
async fn upgrade_with_origin(http: &str, origin: &str) -> u16 {
    use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue, Error};
    let mut request = format!("{}/ws", http.replacen("http", "ws", 1)).into_client_request().expect("request");
    request.headers_mut().insert("origin", HeaderValue::from_str(origin).expect("header"));
    match tokio_tungstenite::connect_async(request).await {
        Ok((_, response)) => response.status().as_u16(),
        Err(Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("unexpected error: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_from_a_foreign_origin_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    config.allowed_origins = vec!["https://ops.example.com".into()];
    let hub = TestHub::start_with(config, dir);
    let http = hub.http();
    assert_eq!(upgrade_with_origin(&http, "http://evil.example").await, 403);
    assert_eq!(upgrade_with_origin(&http, &http).await, 101, "the hub's own pages");
    assert_eq!(upgrade_with_origin(&http, "https://ops.example.com").await, 101, "an allowed origin");
    let mut ws = ws_connect(&http).await; // no Origin: not a browser
    assert_eq!(ws_next(&mut ws).await["type"], "snapshot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_one_mib_is_refused_with_resource_exhausted() {
    let hub = TestHub::start();
    let mut raw = RawAgent::open(&hub.grpc(), None, hello("it-huge", "i1")).await.expect("accepted");
    raw.send(sample(1)).await;
    assert_eq!(raw.ack_at_least(1).await, 1);
    let mut huge = sample(2);
    if let Some(agent_message::Msg::Sample(s)) = &mut huge.msg {
        s.top_processes = vec![pb::ProcessInfo { name: "x".repeat(1_100_000), ..Default::default() }];
    }
    raw.send(huge).await;
    let status = raw.ending_status().await;
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    assert_eq!(recent_seqs(&hub.http(), "it-huge").await, vec![1], "nothing of the large message applied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_agent_messages_are_refused() {
    use sysmonstm_protocol::pb::agent_ingest_client::AgentIngestClient;
    // The hub accepts no compressed messages, so its 1 MiB limit is on what
    // it decodes: a small gzip body cannot expand past it.
    let hub = TestHub::start();
    let client = AgentIngestClient::connect(hub.grpc())
        .await
        .expect("connects")
        .send_compressed(tonic::codec::CompressionEncoding::Gzip);
    let status = RawAgent::open_on(client, None, hello("it-gzip", "i1")).await.err().expect("refused");
    assert_eq!(status.code(), tonic::Code::Unimplemented, "{status:?}");
    assert!(status.message().contains("gzip"), "{}", status.message());
    assert!(machines(&hub.http()).await.is_empty(), "nothing of it applied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_frames_over_4_kib_close_the_socket_with_1009() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::{protocol::frame::coding::CloseCode, Message};
    let hub = TestHub::start();
    let mut ws = ws_connect(&hub.http()).await;
    assert_eq!(ws_next(&mut ws).await["type"], "snapshot");
    ws.send(Message::Text("x".repeat(5000).into())).await.expect("send");
    let closed = tokio::time::timeout(WAIT, async {
        while let Some(message) = ws.next().await {
            if let Ok(Message::Close(frame)) = message {
                return frame.map(|f| f.code);
            }
        }
        None
    })
    .await
    .expect("closed in time");
    assert_eq!(closed, Some(CloseCode::Size));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_token_guards_the_api_metrics_and_fleet_query() {
    use sysmonstm_protocol::pb::fleet_query_client::FleetQueryClient;
    const VIEWER: &str = "viewer-token-0123456789";
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    config.viewer_token = Some(VIEWER.into());
    config.admin_token = Some("admin-token-0123456789".into());
    let hub = TestHub::start_with(config, dir);
    let client = reqwest::Client::new();
    let get = |path: &str, token: Option<&str>| {
        let mut request = client.get(format!("{}{path}", hub.http()));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.expect("request").status().as_u16() }
    };
    for path in ["/api/machines", "/api/stats", "/api/rules", "/metrics", "/ws"] {
        assert_eq!(get(path, None).await, 401, "{path} without a token");
        assert_eq!(get(path, Some("wrong-token")).await, 401, "{path} with a wrong token");
    }
    assert_eq!(get("/api/machines", Some(VIEWER)).await, 200);
    assert_eq!(get("/metrics", Some("admin-token-0123456789")).await, 200, "the admin token reads too");
    for open in ["/health", "/ready", "/", "/api/session"] {
        assert_eq!(get(open, None).await, 200, "{open} stays open");
    }
    // Signing in sets a cookie that reads like the token.
    let signed = client
        .post(format!("{}/api/session", hub.http()))
        .json(&serde_json::json!({"token": VIEWER}))
        .send()
        .await
        .expect("sign in");
    assert_eq!(signed.status(), 204);
    let cookie = signed.headers()["set-cookie"].to_str().expect("cookie").to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let pair = cookie.split(';').next().expect("name=value").to_owned();
    let with_cookie = client.get(format!("{}/api/machines", hub.http())).header("cookie", pair).send().await;
    assert_eq!(with_cookie.expect("request").status(), 200);
    // FleetQuery wants the same tokens.
    let mut fleet = FleetQueryClient::connect(hub.grpc()).await.expect("connects");
    let refused = fleet.list_machines(pb::ListMachinesRequest {}).await.expect_err("no token");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    let mut request = tonic::Request::new(pb::ListMachinesRequest {});
    request.metadata_mut().insert("authorization", format!("Bearer {VIEWER}").parse().expect("ascii"));
    assert!(fleet.list_machines(request).await.is_ok(), "the viewer token reads over gRPC");
}
