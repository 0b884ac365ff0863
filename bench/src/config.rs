//! Load generator flags.

use std::time::Duration;

use clap::Parser;
use sysmonstm_protocol::duration::parse_positive;

/// sysmonstm load generator: simulated agents against a hub.
#[derive(Debug, Clone, Parser)]
#[command(name = "sysmonstm-loadgen", version, about, long_about = None)]
pub struct LoadConfig {
    /// Hub gRPC URL.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    pub hub: String,
    /// Hub WebSocket URL for latency probes (e.g. ws://127.0.0.1:8080/ws).
    #[arg(long)]
    pub ws_url: Option<String>,
    /// Simulated agents, each with its own connection.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub agents: u64,
    /// Sampling interval of each agent.
    #[arg(long, default_value = "1s", value_parser = parse_positive)]
    pub interval: Duration,
    /// How long agents send, after the ramp.
    #[arg(long, default_value = "60s", value_parser = parse_positive)]
    pub duration: Duration,
    /// Connection ramp-up: agents start evenly spread over this time.
    #[arg(long, default_value = "5s", value_parser = humantime_or_zero)]
    pub ramp: Duration,
    /// WebSocket clients measuring sample-to-browser latency.
    #[arg(long, default_value_t = 1)]
    pub ws_clients: u64,
    /// The hub's process id, to read its CPU and RSS from /proc.
    #[arg(long)]
    pub hub_pid: Option<u32>,
    /// Machine ids are `<prefix>-<n>`.
    #[arg(long, default_value = "loadgen")]
    pub prefix: String,
    /// Every this often, one JSON line on stderr: the last interval's ack and
    /// browser p99, the hub's RSS and open file descriptors (scripts/soak.sh).
    #[arg(long, value_parser = parse_positive)]
    pub report_every: Option<Duration>,
    /// How sample values move: `jitter` (one random number moves them all;
    /// the worst case for storage) or `walk` (each its own bounded random walk).
    #[arg(long, value_enum, default_value = "jitter")]
    pub values: crate::sample::Values,
    /// Print one JSON line last.
    #[arg(long)]
    pub json: bool,
}

fn humantime_or_zero(text: &str) -> Result<Duration, String> {
    if text.trim() == "0" || text.trim() == "0s" {
        return Ok(Duration::ZERO);
    }
    parse_positive(text)
}
