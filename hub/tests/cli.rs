//! The hub binary: flag errors are one clear line naming the flag; a hub
//! started with no flags but ports serves its own machine.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const HUB: &str = env!("CARGO_BIN_EXE_sysmonstm-hub");

/// A plain HTTP/1.0 GET (the hub is a separate process; no async runtime here).
fn http_get(addr: std::net::SocketAddr, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

#[test]
fn bad_flag_exits_non_zero_naming_it() {
    for (args, flag) in [
        (vec!["--http-addr", "localhost"], "--http-addr"),
        (vec!["--grpc-addr", "1.2.3.4:99999"], "--grpc-addr"),
        (vec!["--log-format", "xml"], "--log-format"),
        (vec!["--agent-token-file", "/nonexistent/tokens"], "--agent-token-file"),
        (vec!["--agent-token", "tok=web-["], "--agent-token"),
    ] {
        let output = Command::new(HUB).args(&args).output().expect("hub runs");
        assert!(!output.status.success(), "{args:?} accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or("");
        assert!(first.starts_with("error:") && first.contains(flag), "{args:?}: {stderr}");
    }
}

#[test]
fn busy_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let dir = tempfile::tempdir().expect("dir");
    let output = Command::new(HUB)
        .args(["--http-addr", &addr, "--grpc-addr", "127.0.0.1:0", "--no-local-agent"])
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .expect("hub runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot listen on HTTP address") && stderr.contains(&addr), "{stderr}");
}

#[test]
fn hub_monitors_its_own_machine_and_stops_on_sigterm() {
    let http = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr");
    let dir = tempfile::tempdir().expect("dir");
    // Tokens for other machines only: the hub's own agent gets its own token.
    let tokens = dir.path().join("agent-tokens");
    std::fs::write(&tokens, "# other machines\nfleet-token-0123456789=web-*\n").expect("token file");
    let mut child = Command::new(HUB)
        .args(["--http-addr", &http.to_string(), "--grpc-addr", "127.0.0.1:0", "--machine-id", "self-test"])
        .arg("--agent-token-file")
        .arg(&tokens)
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("hub starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    let listed = loop {
        if let Some(text) = http_get(http, "/api/machines") {
            if text.contains("\"self-test\"") && text.contains("\"online\"") {
                break true;
            }
        }
        if Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
    let stop_deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("status") {
            break Some(status);
        }
        if Instant::now() > stop_deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(listed, "the hub's own machine never appeared online");
    assert!(status.is_some_and(|s| s.success()), "hub did not exit cleanly on SIGTERM: {status:?}");
    assert!(dir.path().exists());
}

/// Reads the hub's stderr until a line contains `needle` (or 20 s pass).
fn stderr_says(child: &mut std::process::Child, needle: &str) -> bool {
    use std::io::{BufRead, BufReader};
    let stderr = child.stderr.take().expect("stderr piped");
    let (tx, rx) = std::sync::mpsc::channel();
    let needle = needle.to_owned();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains(&needle) {
                let _ = tx.send(());
                return;
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(20)).is_ok()
}

#[test]
fn a_hub_without_agent_tokens_says_so_at_start() {
    let dir = tempfile::tempdir().expect("dir");
    for (extra, needle) in [
        (vec![], "no agent token configured: any agent may report any machine id"),
        (vec!["--agent-token", "fleet-token-0123456789=web-*"], "agents must present a token"),
    ] {
        let mut child = Command::new(HUB)
            .args(["--http-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0", "--no-local-agent"])
            .args(&extra)
            .arg("--data-dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("hub starts");
        let said = stderr_says(&mut child, needle);
        let _ = child.kill();
        let _ = child.wait();
        assert!(said, "the hub did not say {needle:?} ({extra:?})");
    }
}
