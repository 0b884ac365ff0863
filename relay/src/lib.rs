//! sysmonstm relay: republishes a hub's live dashboard to the public,
//! read-only.
//!
//! A hub's `RelayLink` pushes its live feed (the same frames its browsers
//! get) to `/ingest`, authenticated with the API key. The relay keeps the
//! current state and 5 minutes of chart points per machine, and serves
//! viewers the dashboard in read-only mode, `/ws`, `GET /api/machines` and
//! `/health`: nothing that reaches back into a hub. [`start`] runs a relay
//! in-process (tests start it on port 0); `main.rs` parses flags and waits
//! for a signal.
//!
//! # Layout
//! - [`config`]: flags / environment and [`RelayConfig`].
//! - [`fleet`]: the relay's state of the fleet and the frames for viewers (pure).
//! - [`relay`]: what handlers share: fleet, viewers' broadcast, counters, slots.
//! - [`ingest`]: `/ingest`, the hubs' WebSocket (key checked before the upgrade).
//! - [`viewers`]: `/ws`, the viewers' WebSocket (read-only, capped, slow ones dropped).
//! - [`http`]: routes, `/api/machines`, `/health`, the embedded dashboard.

pub mod config;
pub mod fleet;
pub mod http;
pub mod ingest;
pub mod relay;
pub mod viewers;

use std::net::{SocketAddr, TcpListener};
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::{web, App, HttpServer};
use slog::{info, Logger};

pub use config::{RelayArgs, RelayConfig};
use relay::Relay;

/// How long open connections get to finish when the relay stops.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot start the relay: {0}")]
    Runtime(String),
}

/// A running relay; dropping it stops it without waiting.
pub struct RelayHandle {
    pub addr: SocketAddr,
    server: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl RelayHandle {
    /// `http://addr`.
    pub fn http(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://addr{path}`.
    pub fn ws(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    /// Stops serving and waits for the server thread.
    pub fn stop(mut self) {
        futures::executor::block_on(self.server.stop(true));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RelayHandle {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            let server = self.server.clone();
            std::thread::spawn(move || {
                futures::executor::block_on(server.stop(true));
                let _ = thread.join();
            });
        }
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

/// Starts a relay on its own thread.
pub fn start(config: RelayConfig, log: Logger) -> Result<RelayHandle, StartError> {
    let listener =
        TcpListener::bind(config.listen).map_err(|source| StartError::Bind { addr: config.listen, source })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind { addr: config.listen, source })?;
    let relay = web::Data::new(Relay::new(config.api_key, config.max_viewers, log.clone()));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("relay".into())
        .spawn(move || {
            let system = actix_rt::System::new();
            system.block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(relay.clone())
                        .wrap(sysmonstm_viewer::security_headers())
                        .configure(http::configure)
                })
                .workers(cores())
                .disable_signals()
                .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
                .listen(listener);
                let server = match server {
                    Ok(server) => server.run(),
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(server.handle()));
                let _ = server.await;
            });
        })
        .map_err(|e| StartError::Runtime(e.to_string()))?;
    let server = ready_rx
        .recv()
        .map_err(|_| StartError::Runtime("the server thread ended early".into()))?
        .map_err(StartError::Runtime)?;
    info!(log, "relay listening"; "addr" => %addr);
    Ok(RelayHandle { addr, server, thread: Some(thread) })
}
