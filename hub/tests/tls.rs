//! TLS on the agents' gRPC port: agents stream over https:// with the hub's
//! CA; plaintext and untrusted clients are refused without harming the hub;
//! with `--client-ca` only agents with a certificate from that CA get in.

mod common;

use std::time::Duration;

use common::tls::TestPki;
use common::*;
use sysmonstm_protocol::pb::{agent_ingest_client::AgentIngestClient, hub_message};
use sysmonstm_protocol::tls::{ClientTls, ServerTls};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

fn tls_hub(pki: &TestPki, client_ca: bool) -> TestHub {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    config.tls = Some(ServerTls {
        cert: pki.path("hub.pem"),
        key: pki.path("hub.key"),
        client_ca: client_ca.then(|| pki.path("ca.pem")),
    });
    TestHub::start_with(config, dir)
}

fn https(hub: &TestHub) -> String {
    format!("https://{}", hub.grpc_addr())
}

/// Connects (TLS when `tls` is given), says Hello, waits for Welcome, sends
/// one sample and waits for its ack.
async fn try_stream(url: &str, tls: Option<ClientTlsConfig>, machine: &str) -> Result<(), String> {
    let mut endpoint = Endpoint::from_shared(url.to_owned()).map_err(|e| e.to_string())?;
    if let Some(tls) = tls {
        endpoint = endpoint.tls_config(tls).map_err(|e| e.to_string())?;
    }
    let channel = endpoint
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .map_err(|e| sysmonstm_protocol::error_chain(&e))?;
    let mut agent = RawAgent::open_on(AgentIngestClient::new(channel), None, hello(machine, "i"))
        .await
        .map_err(|s| format!("{s}"))?;
    match agent.next().await {
        Ok(Some(message)) if matches!(message.msg, Some(hub_message::Msg::Welcome(_))) => {}
        other => return Err(format!("no Welcome: {other:?}")),
    }
    agent.send(sample(1)).await;
    agent.ack_at_least(1).await;
    Ok(())
}

fn trusting(pki: &TestPki, ca: &str) -> ClientTlsConfig {
    ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pki.pem(ca)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_stream_over_tls_and_other_clients_are_refused() {
    let pki = common::tls::make();
    let hub = tls_hub(&pki, false);
    // Plaintext to the TLS port, and TLS trusting another CA: both refused.
    let plain = try_stream(&hub.grpc(), None, "it-plain").await;
    assert!(plain.is_err(), "plaintext accepted by a TLS port");
    let rogue = try_stream(&https(&hub), Some(trusting(&pki, "rogue-ca.pem")), "it-rogue").await;
    let error = rogue.expect_err("a hub certificate from an untrusted CA was accepted");
    assert!(error.to_lowercase().contains("certificate"), "{error}");
    // The hub is unharmed: a real agent streams over TLS.
    let tls = ClientTls { ca: Some(pki.path("ca.pem")), cert: None, key: None }.config().expect("client TLS");
    let _agent = TestAgent::run(sysmonstm_agent::AgentConfig {
        hubs: vec![https(&hub)],
        machine_id: "it-tls".into(),
        interval: Duration::from_millis(200),
        token: None,
        buffer_samples: 100,
        rootfs: None,
        tls: Some(tls),
        labels: Default::default(),
    });
    wait_status(&hub.http(), "it-tls", "online").await;
    let listed = machines(&hub.http()).await;
    assert!(!listed.iter().any(|m| m["machine_id"] == "it-plain" || m["machine_id"] == "it-rogue"), "{listed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_admits_only_certificates_from_the_client_ca() {
    let pki = common::tls::make();
    let hub = tls_hub(&pki, true);
    let without = try_stream(&https(&hub), Some(trusting(&pki, "ca.pem")), "it-no-cert").await;
    assert!(without.is_err(), "an agent without a client certificate got in");
    let rogue =
        trusting(&pki, "ca.pem").identity(Identity::from_pem(pki.pem("rogue-agent.pem"), pki.pem("rogue-agent.key")));
    assert!(try_stream(&https(&hub), Some(rogue), "it-rogue-cert").await.is_err(), "a rogue client certificate got in");
    let good = trusting(&pki, "ca.pem").identity(Identity::from_pem(pki.pem("agent.pem"), pki.pem("agent.key")));
    try_stream(&https(&hub), Some(good), "it-mtls").await.expect("an agent with a certificate from the client CA");
    let listed: Vec<String> =
        machines(&hub.http()).await.iter().filter_map(|m| m["machine_id"].as_str().map(str::to_owned)).collect();
    assert_eq!(listed, vec!["it-mtls".to_owned()], "only the agent with a trusted certificate");
}

#[test]
fn a_bad_key_file_stops_the_hub_at_start_naming_it() {
    let pki = common::tls::make();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    config.tls = Some(ServerTls { cert: pki.path("hub.pem"), key: pki.path("ca.pem"), client_ca: None });
    let error = sysmonstm_hub::start(config, sysmonstm_protocol::logging::discard()).err().expect("refused");
    let text = error.to_string();
    assert!(text.contains("TLS key") && text.contains("ca.pem"), "{text}");
}

/// The shell lines SECURITY.md gives for making certificates.
fn documented_commands() -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../SECURITY.md")).expect("SECURITY.md");
    let block = doc.split("<!-- tls-commands").nth(1).and_then(|b| b.split("<!-- /tls-commands -->").next());
    let block = block.expect("SECURITY.md marks its TLS commands");
    let code = block.split("```sh").nth(1).and_then(|b| b.split("```").next()).expect("a sh block");
    // The test's hub answers on loopback: the certificate names localhost.
    code.replace("HUB_NAME=hub.example.com", "HUB_NAME=localhost")
}

fn run_sh(dir: &std::path::Path, script: &str) {
    let out = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(dir)
        .output()
        .expect("bash runs (openssl: scripts/test.sh installs it)");
    assert!(out.status.success(), "{script}\n{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_openssl_commands_make_certificates_agents_accept() {
    let certs = tempfile::tempdir().expect("dir");
    run_sh(certs.path(), &documented_commands());
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    let at = |name: &str| certs.path().join(name);
    config.tls = Some(ServerTls { cert: at("hub.pem"), key: at("hub.key"), client_ca: Some(at("ca.pem")) });
    let hub = TestHub::start_with(config, dir);
    let url = format!("https://localhost:{}", hub.grpc_addr().port());
    let ca = Certificate::from_pem(std::fs::read(at("ca.pem")).expect("ca.pem"));
    let identity =
        Identity::from_pem(std::fs::read(at("web-1.pem")).expect("cert"), std::fs::read(at("web-1.key")).expect("key"));
    let tls = ClientTlsConfig::new().ca_certificate(ca).identity(identity).domain_name("localhost");
    try_stream(&url, Some(tls), "web-1").await.expect("an agent with the documented certificates streams");
}

#[test]
fn the_usual_self_signed_one_liner_is_refused_at_start_saying_what_to_do() {
    let certs = tempfile::tempdir().expect("dir");
    run_sh(
        certs.path(),
        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=hub -keyout hub.key -out hub.pem 2>/dev/null",
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = sysmonstm_hub::HubConfig::ephemeral(dir.path().to_path_buf());
    config.tls =
        Some(ServerTls { cert: certs.path().join("hub.pem"), key: certs.path().join("hub.key"), client_ca: None });
    let error = sysmonstm_hub::start(config, sysmonstm_protocol::logging::discard()).err().expect("refused");
    let text = error.to_string();
    assert!(text.contains("hub.pem") && text.contains("is a CA certificate"), "{text}");
    assert!(text.contains("SECURITY.md"), "says where the commands are: {text}");
}
