//! A real Redis server for tests: Debian's `redis-server`, no persistence,
//! a throwaway directory, a free loopback port. Can be stopped and started
//! again on the same port, and flushed.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the server may take to answer PING.
const START_TIMEOUT: Duration = Duration::from_secs(15);

pub struct RedisServer {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl RedisServer {
    pub fn start() -> RedisServer {
        let dir = tempfile::Builder::new().prefix("sysmonstm-redis-").tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let mut server = RedisServer { port, dir, child: None };
        server.resume();
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn cli(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("redis-cli").args(["-h", "127.0.0.1", "-p", &self.port.to_string()]).args(args).output();
        out.ok().filter(|o| o.status.success()).map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    }

    /// Starts (again) on the same port.
    pub fn resume(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts (scripts/test.sh installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        while self.cli(&["PING"]).as_deref() != Some("PONG") {
            assert!(Instant::now() < deadline, "Redis did not start on port {}", self.port);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the server (its data goes with it: no persistence).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Forgets every key.
    pub fn flush(&self) {
        assert_eq!(self.cli(&["FLUSHALL"]).as_deref(), Some("OK"), "FLUSHALL");
    }

    /// The machine ids Redis holds state for.
    pub fn machine_keys(&self) -> Vec<String> {
        let keys = self.cli(&["--scan", "--pattern", "sysmonstm:machine:*"]).unwrap_or_default();
        let mut ids: Vec<String> =
            keys.lines().filter_map(|k| k.strip_prefix("sysmonstm:machine:")).map(str::to_owned).collect();
        ids.sort();
        ids
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
