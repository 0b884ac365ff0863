//! Writes the seed inputs of the `agent_message` fuzz target
//! (`fuzz/seeds/agent_message/`): a Hello, the load generator's realistic
//! sample and an empty one, as protobuf, so the fuzzer starts from messages
//! an agent really sends.
//!
//! `cargo run -p sysmonstm-bench --example fuzz_seeds -- fuzz/seeds/agent_message`

use prost::Message;
use sysmonstm_bench::sample::sample;
use sysmonstm_protocol::pb::{self, agent_message::Msg};

fn main() -> std::io::Result<()> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fuzz/seeds/agent_message".into()));
    std::fs::create_dir_all(&dir)?;
    let hello = pb::Hello {
        machine_id: "web-1".into(),
        instance_id: "0123456789abcdef0123456789abcdef".into(),
        host: Some(pb::HostInfo { hostname: "web-1".into(), os: "Debian".into(), cpu_cores: 8, ..Default::default() }),
        agent_version: "0.1.0".into(),
        interval_ms: 1000,
        dropped_samples: 0,
    };
    let messages = [
        ("hello", Msg::Hello(hello)),
        ("sample", Msg::Sample(sample(1, 1_800_000_001_000, 0.5))),
        ("sample-empty", Msg::Sample(pb::Sample::default())),
    ];
    for (name, msg) in messages {
        std::fs::write(dir.join(name), pb::AgentMessage { msg: Some(msg) }.encode_to_vec())?;
    }
    println!("wrote seeds to {}", dir.display());
    Ok(())
}
