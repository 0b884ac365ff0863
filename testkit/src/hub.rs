//! A real hub in-process on loopback port 0, and the REST reads tests make
//! of it.

use std::net::SocketAddr;

use serde_json::Value;
use sysmonstm_hub::{HubConfig, HubHandle};

use crate::wait::eventually;

pub struct TestHub {
    pub hub: Option<HubHandle>,
    pub dir: tempfile::TempDir,
}

impl TestHub {
    pub fn start() -> TestHub {
        let dir = tempfile::tempdir().expect("temp dir");
        TestHub::start_with(HubConfig::ephemeral(dir.path().to_path_buf()), dir)
    }

    pub fn start_with(config: HubConfig, dir: tempfile::TempDir) -> TestHub {
        let hub = sysmonstm_hub::start(config, sysmonstm_protocol::logging::discard()).expect("hub starts");
        TestHub { hub: Some(hub), dir }
    }

    pub fn handle(&self) -> &HubHandle {
        self.hub.as_ref().expect("hub running")
    }

    pub fn http(&self) -> String {
        format!("http://{}", self.handle().http_addr)
    }

    pub fn grpc(&self) -> String {
        format!("http://{}", self.handle().grpc_addr)
    }

    pub fn grpc_addr(&self) -> SocketAddr {
        self.handle().grpc_addr
    }

    pub async fn stop(&mut self) {
        if let Some(hub) = self.hub.take() {
            tokio::task::spawn_blocking(move || hub.stop()).await.expect("hub stops");
        }
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.take() {
            std::thread::spawn(move || hub.stop());
        }
    }
}

pub async fn get_json(url: &str) -> (u16, Value) {
    let response = reqwest::get(url).await.expect("HTTP request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

/// A request with a JSON body and, when given, a bearer token: (status,
/// body as JSON, Null when it is not).
pub async fn send_json(method: reqwest::Method, url: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = reqwest::Client::new().request(method, url).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("HTTP request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub async fn machines(http: &str) -> Vec<Value> {
    let (status, body) = get_json(&format!("{http}/api/machines")).await;
    assert_eq!(status, 200);
    body.as_array().expect("array").clone()
}

pub async fn machine(http: &str, id: &str) -> Option<Value> {
    machines(http).await.into_iter().find(|m| m["machine_id"] == id)
}

/// Waits until `id` is listed with `status`.
pub async fn wait_status(http: &str, id: &str, status: &str) -> Value {
    eventually(&format!("{id} to be {status}"), || async { machine(http, id).await.filter(|m| m["status"] == status) })
        .await
}

/// Seqs of the samples the hub applied for `id`, from its recent ring
/// (none while the machine is unknown).
pub async fn recent_seqs(http: &str, id: &str) -> Vec<u64> {
    let (status, body) = get_json(&format!("{http}/api/machines/{id}/recent")).await;
    if status == 404 {
        return Vec::new();
    }
    assert_eq!(status, 200, "{body}");
    body["points"].as_array().expect("points").iter().map(|p| p[3].as_u64().expect("seq")).collect()
}
