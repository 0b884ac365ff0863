//! `sysmonstm-agent`: parse flags, set up logging, run until SIGTERM/SIGINT.

use anyhow::Context;
use clap::{CommandFactory, Parser};
use sysmonstm_agent::AgentArgs;
use sysmonstm_protocol::logging;
use tokio::signal::unix::{signal, SignalKind};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = AgentArgs::parse();
    let log = logging::logger(args.log_format, "agent");
    let config = match args.config() {
        Ok(config) => config,
        Err(message) => AgentArgs::command().error(clap::error::ErrorKind::InvalidValue, message).exit(),
    };
    if args.once {
        let sample = sysmonstm_agent::sample_once(config.interval, config.rootfs.clone(), log).await;
        println!("{}", serde_json::to_string_pretty(&sample)?);
        return Ok(());
    }
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let agent = tokio::spawn(sysmonstm_agent::run(config, log.clone(), shutdown_rx));
    tokio::select! {
        _ = term.recv() => slog::info!(log, "SIGTERM: stopping"),
        _ = tokio::signal::ctrl_c() => slog::info!(log, "interrupted: stopping"),
    }
    shutdown_tx.send_replace(true);
    agent.await.context("agent task")?;
    Ok(())
}
