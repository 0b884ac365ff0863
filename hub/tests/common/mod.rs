//! The hub's integration tests share `sysmonstm-testkit` (a real hub,
//! relay, agents, PostgreSQL, Redis, webhook receivers); here is only what
//! needs this crate's own binary.

#![allow(dead_code)]

pub use sysmonstm_testkit::*;

/// The hub binary, for tests that SIGKILL a hub.
pub const HUB_BIN: &str = env!("CARGO_BIN_EXE_sysmonstm-hub");

/// The hub binary on loopback ports, without its own agent, plus `extra` flags.
pub fn spawn_hub(http: u16, grpc: u16, data: &std::path::Path, extra: &[&str]) -> std::process::Child {
    std::process::Command::new(HUB_BIN)
        .args(["--http-addr", &format!("127.0.0.1:{http}"), "--grpc-addr", &format!("127.0.0.1:{grpc}")])
        .args(["--no-local-agent", "--data-dir"])
        .arg(data)
        .args(extra)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("hub starts")
}
