//! `sysmonstm-hub`: parse flags, set up logging, start, stop on SIGTERM/SIGINT.

use anyhow::Context;
use clap::Parser;
use sysmonstm_hub::HubArgs;
use sysmonstm_protocol::{logging, probe};
use tokio::signal::unix::{signal, SignalKind};

/// Thousands of streams allocate and free small buffers on every thread:
/// mimalloc's per-thread heaps do that with less CPU than glibc's malloc
/// (measured in BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = HubArgs::parse();
    if args.check_health {
        let status = probe::check(probe::local(args.http_addr), "/health").map_err(anyhow::Error::msg)?;
        println!("{status}");
        return Ok(());
    }
    let log = logging::logger(args.log_format, "hub");
    // Transparent huge pages keep whole 2 MiB pages for a few live
    // allocations: about 150 MB more at 10,000 agents, no CPU saved
    // (BENCHMARKS.md). The hub opts out for itself.
    // SAFETY: prctl(PR_SET_THP_DISABLE) takes plain integers, reads no memory.
    if unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) } != 0 {
        let error = std::io::Error::last_os_error();
        slog::warn!(log, "could not opt out of transparent huge pages"; "error" => %error);
    }
    let hub = sysmonstm_hub::start(args.config(), log.clone()).context("starting the hub")?;
    slog::info!(log, "dashboard ready"; "url" => format!("http://localhost:{}", hub.http_addr.port()));
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    tokio::select! {
        _ = term.recv() => slog::info!(log, "SIGTERM: stopping"),
        _ = tokio::signal::ctrl_c() => slog::info!(log, "interrupted: stopping"),
    }
    tokio::task::spawn_blocking(move || hub.stop()).await.context("stopping the hub")?;
    Ok(())
}
