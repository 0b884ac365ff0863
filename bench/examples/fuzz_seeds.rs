//! Writes the seed inputs of the fuzz targets, so the fuzzer starts from
//! what the hub really reads:
//! - `agent_message/`: a Hello, the load generator's realistic sample and an
//!   empty one, as protobuf;
//! - `chunk_body/`: sealed chunks of jittered and walking samples, as bodies
//!   and as the payloads inside them;
//! - `recent_body/`: a realistic sample and an empty one as recent rows.
//!
//! `cargo run -p sysmonstm-bench --example fuzz_seeds [-- fuzz/seeds]`

use prost::Message;
use sysmonstm_bench::sample::{sample, Source, Values};
use sysmonstm_hub::store::{chunk, recent};
use sysmonstm_protocol::model::Sample;
use sysmonstm_protocol::pb::{self, agent_message::Msg};

fn main() -> anyhow::Result<()> {
    let root = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fuzz/seeds".into()));
    let dir = root.join("agent_message");
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
    let dir = root.join("chunk_body");
    std::fs::create_dir_all(&dir)?;
    for (name, values, n) in [("jitter-3", Values::Jitter, 3u64), ("walk-12", Values::Walk, 12)] {
        let mut source = Source::new(values, 1);
        let samples: Vec<Sample> =
            (1..=n).map(|i| source.next(i, 1_800_000_000_000 + i as i64 * 1000).into()).collect();
        let body = chunk::encode(&samples)?;
        std::fs::write(dir.join(format!("{name}-payload")), chunk::unpack(&body)?)?;
        std::fs::write(dir.join(format!("{name}-body")), body)?;
    }
    let dir = root.join("recent_body");
    std::fs::create_dir_all(&dir)?;
    let realistic: Sample = Source::new(Values::Walk, 1).next(7, 1_800_000_000_000).into();
    std::fs::write(dir.join("walk"), recent::encode(&realistic))?;
    std::fs::write(dir.join("empty"), recent::encode(&Sample::default()))?;
    println!("wrote seeds to {}", root.display());
    Ok(())
}
