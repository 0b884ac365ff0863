//! Writes the seed inputs of the `agent_message` fuzz target
//! (`fuzz/seeds/agent_message/`): a Hello and realistic Samples as
//! protobuf, so the fuzzer starts from messages an agent really sends.
//!
//! `cargo run -p sysmonstm-protocol --example fuzz_seeds -- fuzz/seeds/agent_message`

use prost::Message;
use sysmonstm_protocol::model::*;
use sysmonstm_protocol::pb::{self, agent_message::Msg};

fn sample(seq: u64, cores: usize, disks: usize) -> Sample {
    Sample {
        seq,
        timestamp_ms: 1_800_000_000_000 + seq as i64 * 1000,
        cpu: CpuStats {
            total_percent: 42.5,
            per_core_percent: (0..cores).map(|c| c as f64 * 10.0).collect(),
            user_percent: 30.0,
            system_percent: 10.0,
            iowait_percent: 2.0,
            steal_percent: 0.5,
        },
        memory: MemoryStats { total: 16 << 30, used: 8 << 30, available: 8 << 30, percent: 50.0, ..Default::default() },
        disks: (0..disks)
            .map(|d| DiskUsage {
                mount_point: format!("/data{d}"),
                device: format!("/dev/sd{d}"),
                filesystem: "ext4".into(),
                total: 1 << 40,
                used: 1 << 39,
                free: 1 << 39,
                percent: 50.0,
            })
            .collect(),
        disk_io: vec![DiskIo { device: "sda".into(), read_bps: 1e6, write_bps: 2e6, ..Default::default() }],
        net: vec![NetIo { interface: "eth0".into(), rx_bps: 1e5, tx_bps: 2e5, ..Default::default() }],
        load: LoadAvg { load1: 0.5, load5: 0.4, load15: 0.3 },
        process_count: 120,
        tcp_connections: 12,
        uptime_secs: 86_400,
        top_processes: vec![ProcessInfo { pid: 1, name: "init".into(), cpu_percent: 1.0, rss: 1 << 20 }],
        ..Default::default()
    }
}

fn main() -> std::io::Result<()> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fuzz/seeds/agent_message".into()));
    std::fs::create_dir_all(&dir)?;
    let host = HostInfo { hostname: "web-1".into(), os: "Debian".into(), cpu_cores: 8, ..Default::default() };
    let hello = pb::Hello {
        machine_id: "web-1".into(),
        instance_id: "0123456789abcdef0123456789abcdef".into(),
        host: Some((&host).into()),
        agent_version: "0.1.0".into(),
        interval_ms: 1000,
        dropped_samples: 0,
    };
    let messages = [
        ("hello", Msg::Hello(hello)),
        ("sample", Msg::Sample((&sample(1, 8, 3)).into())),
        ("sample-small", Msg::Sample((&sample(2, 1, 0)).into())),
        ("sample-empty", Msg::Sample((&Sample::default()).into())),
    ];
    for (name, msg) in messages {
        std::fs::write(dir.join(name), pb::AgentMessage { msg: Some(msg) }.encode_to_vec())?;
    }
    println!("wrote seeds to {}", dir.display());
    Ok(())
}
