//! `sysmonstm-relay`: parse flags, set up logging, start, stop on SIGTERM/SIGINT.

use anyhow::Context;
use clap::Parser;
use sysmonstm_protocol::{logging, probe};
use sysmonstm_relay::RelayArgs;
use tokio::signal::unix::{signal, SignalKind};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = RelayArgs::parse();
    if args.check_health {
        let status = probe::check(probe::local(args.listen), "/health").map_err(anyhow::Error::msg)?;
        println!("{status}");
        return Ok(());
    }
    let log = logging::logger(args.log_format, "relay");
    let relay = sysmonstm_relay::start(args.config(), log.clone()).context("starting the relay")?;
    slog::info!(log, "public dashboard ready"; "url" => format!("http://localhost:{}", relay.addr.port()));
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    tokio::select! {
        _ = term.recv() => slog::info!(log, "SIGTERM: stopping"),
        _ = tokio::signal::ctrl_c() => slog::info!(log, "interrupted: stopping"),
    }
    tokio::task::spawn_blocking(move || relay.stop()).await.context("stopping the relay")?;
    Ok(())
}
