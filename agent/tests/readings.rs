//! The agent's readings agree with what the operating system reports, and
//! the binary behaves as a daemon should (clear flag errors, clean SIGTERM).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const AGENT: &str = env!("CARGO_BIN_EXE_sysmonstm-agent");

fn meminfo_kib(key: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").expect("meminfo");
    text.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.trim_start_matches(':').split_whitespace().next()))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{key} in /proc/meminfo"))
}

fn proc_count() -> usize {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().chars().all(|c| c.is_ascii_digit()))
        .count()
}

fn loadavg() -> Vec<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").expect("loadavg");
    text.split_whitespace().take(3).map(|v| v.parse().expect("number")).collect()
}

fn once() -> Value {
    let output = Command::new(AGENT).args(["--once", "--interval", "300ms"]).output().expect("agent runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("--once prints JSON")
}

#[test]
fn once_agrees_with_the_operating_system() {
    let before_procs = proc_count();
    let load_before = loadavg();
    let sample = once();
    let load_after = loadavg();
    let after_procs = proc_count();

    // Memory total exact (kB in /proc/meminfo are KiB).
    let total = meminfo_kib("MemTotal") * 1024;
    assert_eq!(sample["memory"]["total"].as_u64(), Some(total));
    // Memory % within a few points of (total - available) / total.
    let available = meminfo_kib("MemAvailable") * 1024;
    let expected = (total - available) as f64 / total as f64 * 100.0;
    let got = sample["memory"]["percent"].as_f64().expect("percent");
    assert!((got - expected).abs() < 3.0, "memory {got}% vs {expected}%");
    // One per-core reading per logical CPU.
    let cores = std::thread::available_parallelism().expect("cores").get();
    assert_eq!(sample["cpu"]["per_core_percent"].as_array().expect("cores").len(), cores);
    let cpu = sample["cpu"]["total_percent"].as_f64().expect("cpu");
    assert!((0.0..=100.0).contains(&cpu));
    // Load: between the readings taken around the sample (they move slowly).
    for (i, key) in ["load1", "load5", "load15"].iter().enumerate() {
        let v = sample["load"][key].as_f64().expect("load");
        let (lo, hi) = (load_before[i].min(load_after[i]), load_before[i].max(load_after[i]));
        assert!(v >= lo - 0.05 && v <= hi + 0.05, "{key} {v} outside [{lo}, {hi}]");
    }
    // Process count within a few % of /proc (processes come and go).
    let count = sample["process_count"].as_u64().expect("count") as f64;
    let reference = (before_procs + after_procs) as f64 / 2.0;
    assert!((count - reference).abs() <= (reference * 0.05).max(3.0), "{count} processes vs {reference}");
    // Top processes: at most 5, each named.
    let top = sample["top_processes"].as_array().expect("top");
    assert!(!top.is_empty() && top.len() <= 5);
    assert!(top.iter().all(|p| !p["name"].as_str().unwrap_or("").is_empty()));
    // The root filesystem is listed, with a sane percentage.
    let disks = sample["disks"].as_array().expect("disks");
    assert!(disks.iter().any(|d| d["mount_point"] == "/"), "{disks:?}");
    assert!(sample["uptime_secs"].as_u64().expect("uptime") > 0);
    assert!(sample["timestamp_ms"].as_i64().expect("ts") > 1_600_000_000_000);
}

#[test]
fn bad_flag_exits_non_zero_naming_it() {
    for (args, flag) in [
        (vec!["--interval", "soon"], "--interval"),
        (vec!["--hub", "ftp://x"], "--hub"),
        (vec!["--buffer-samples", "0"], "--buffer-samples"),
    ] {
        let output = Command::new(AGENT).args(&args).output().expect("agent runs");
        assert!(!output.status.success(), "{args:?} accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or("");
        assert!(first.starts_with("error:") && first.contains(flag), "{args:?}: {stderr}");
    }
    let output = Command::new(AGENT).env("SYSMONSTM_INTERVAL", "later").output().expect("agent runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--interval"));
}

#[test]
fn sigterm_exits_cleanly_while_the_hub_is_away() {
    // Port 9 (discard) on loopback: nothing listens, the agent keeps retrying.
    let mut child = Command::new(AGENT)
        .args(["--hub", "http://127.0.0.1:9", "--interval", "200ms"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("agent starts");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(child.try_wait().expect("status").is_none(), "agent must not exit because the hub is away");
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("status") {
            break status;
        }
        assert!(Instant::now() < deadline, "agent did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status:?}");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr).expect("read");
    assert_eq!(stderr.matches("hub unreachable").count(), 1, "outage logged once: {stderr}");
}
