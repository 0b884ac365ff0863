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
