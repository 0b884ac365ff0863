//! The gRPC side of a hub, on its tokio runtime: AgentIngest and FleetQuery
//! on the agents' port (TLS when configured, token rules, caps on
//! connections and on streams per connection), the hub's own agent on a
//! loopback port of its own, and the stats ticker.
//!
//! The hub's agent does not share the agents' port: it needs neither the
//! hub's certificate nor a client certificate nor an operator's token. Its
//! port is loopback-only, plaintext, and accepts exactly one token, made at
//! start and known only to this process, for the hub's machine id alone.

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use slog::{error, info, warn, Logger};
use sysmonstm_protocol::pb::{agent_ingest_server::AgentIngestServer, fleet_query_server::FleetQueryServer};
use tokio::sync::watch;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Server, ServerTlsConfig};

use super::auth::AgentAuth;
use super::fleet::FleetService;
use super::ingest::{IngestService, MAX_AGENT_MESSAGE};
use super::limit;
use super::token_refresh;
use crate::actors::registry::MachineRegistry;
use crate::agent_tokens::book::TokenBook;
use crate::config::HubConfig;
use crate::events::LiveSender;
use crate::read_access::ReadAccess;
use crate::stats::{Stats, RATE_WINDOW};
use crate::store::status::StoreStatus;
use crate::store::Store;
use crate::token_rules::{TokenRule, RECOMMENDED_TOKEN_LEN};

/// HTTP/2 pings toward agents, to notice dead connections.
pub const GRPC_KEEPALIVE: Duration = Duration::from_secs(20);
/// Sampling interval of the hub's own agent.
const LOCAL_AGENT_INTERVAL: Duration = Duration::from_secs(1);

/// Everything the gRPC side needs.
pub struct GrpcParts {
    pub config: HubConfig,
    /// The agents' port (taken when serving starts).
    pub agents: Option<std::net::TcpListener>,
    /// The hub's own agent's port (loopback), when it runs one.
    pub local: Option<std::net::TcpListener>,
    pub tls: Option<ServerTlsConfig>,
    /// With `--viewer-token`, who may call `FleetQuery`.
    pub readers: ReadAccess,
    pub registry: Addr<MachineRegistry>,
    pub live: LiveSender,
    pub store: Arc<dyn Store>,
    pub store_status: Arc<StoreStatus>,
    pub stats: Arc<Stats>,
    /// Agent tokens issued over REST (shared with the HTTP side).
    pub tokens: Arc<TokenBook>,
    pub log: Logger,
}

/// `http://` URL of a listening address, reachable from this machine.
pub fn loopback_url(addr: SocketAddr) -> String {
    format!("http://{}", sysmonstm_protocol::probe::local(addr))
}

/// Resolves once `shutdown` is true.
pub async fn stopped(mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow_and_update() {
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}

impl GrpcParts {
    fn ingest(&self, auth: AgentAuth, connections: &Arc<AtomicU64>, shutdown: &watch::Receiver<bool>) -> IngestService {
        IngestService {
            registry: self.registry.clone(),
            store: self.store.clone(),
            store_status: self.store_status.clone(),
            auth,
            stats: self.stats.clone(),
            hub_id: self.config.hub_id.clone(),
            shutdown: shutdown.clone(),
            log: self.log.clone(),
            next_connection: connections.clone(),
        }
    }
}

/// Serves until `shutdown`, then gives in-flight streams `grace` to end.
pub async fn run(mut parts: GrpcParts, shutdown: watch::Receiver<bool>, grace: Duration) {
    let log = parts.log.clone();
    let ticker_stats = parts.stats.clone();
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(RATE_WINDOW);
        loop {
            ticker.tick().await;
            ticker_stats.tick(RATE_WINDOW);
        }
    });
    announce(&parts, &log);
    // Connection ids are unique across both ports (a session tells its
    // current stream from a replaced one by id).
    let connections = Arc::new(AtomicU64::new(1));
    if let Some(listener) = parts.local.take() {
        start_local_agent(&parts, listener, &connections, &shutdown);
    }
    let Some(agents) = parts.agents.take() else { return };
    let listener = match tokio::net::TcpListener::from_std(agents) {
        Ok(listener) => listener,
        Err(e) => {
            error!(log, "cannot use the gRPC listener"; "error" => %e);
            return;
        }
    };
    tokio::spawn(token_refresh::run(parts.store.clone(), parts.tokens.clone(), shutdown.clone(), log.clone()));
    let auth = AgentAuth::with_issued(parts.config.agent_tokens.clone(), parts.tokens.clone());
    let ingest = parts.ingest(auth, &connections, &shutdown);
    let fleet =
        FleetService { registry: parts.registry.clone(), live: parts.live.clone(), readers: parts.readers.clone() };
    let mut builder = Server::builder()
        .http2_keepalive_interval(Some(GRPC_KEEPALIVE))
        .max_concurrent_streams(Some(parts.config.max_streams_per_connection));
    if let Some(tls) = parts.tls.clone() {
        builder = match builder.tls_config(tls) {
            Ok(builder) => builder,
            Err(e) => {
                error!(log, "cannot set up TLS on the gRPC port"; "error" => %e);
                return;
            }
        };
    }
    let incoming = limit::incoming(listener, parts.config.max_agent_connections, parts.stats.clone(), log.clone());
    let server = builder
        .add_service(AgentIngestServer::new(ingest).max_decoding_message_size(MAX_AGENT_MESSAGE))
        .add_service(FleetQueryServer::new(fleet))
        .serve_with_incoming_shutdown(incoming, stopped(shutdown.clone()));
    tokio::select! {
        result = server => if let Err(e) = result {
            error!(log, "gRPC server failed"; "error" => %e);
        },
        _ = async { stopped(shutdown).await; tokio::time::sleep(grace).await } => {}
    }
    info!(log, "gRPC server stopped");
}

/// The hub's own agent and its loopback port.
fn start_local_agent(
    parts: &GrpcParts,
    listener: std::net::TcpListener,
    connections: &Arc<AtomicU64>,
    shutdown: &watch::Receiver<bool>,
) {
    let log = parts.log.clone();
    let machine_id = parts.config.local_machine_id.clone().unwrap_or_else(sysmonstm_agent::config::local_hostname);
    let token = format!("local-{:032x}", rand::random::<u128>());
    let rule = match TokenRule::exact(&token, &machine_id) {
        Ok(rule) => rule,
        Err(e) => {
            error!(log, "cannot start the hub's own agent"; "error" => e);
            return;
        }
    };
    let (addr, listener) =
        match listener.local_addr().and_then(|a| Ok((a, tokio::net::TcpListener::from_std(listener)?))) {
            Ok(pair) => pair,
            Err(e) => {
                error!(log, "cannot use the local agent's listener"; "error" => %e);
                return;
            }
        };
    let ingest = parts.ingest(AgentAuth::new(vec![rule]), connections, shutdown);
    let server = Server::builder()
        .add_service(AgentIngestServer::new(ingest).max_decoding_message_size(MAX_AGENT_MESSAGE))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), stopped(shutdown.clone()));
    let server_log = log.clone();
    tokio::spawn(async move {
        if let Err(e) = server.await {
            error!(server_log, "the local agent's gRPC server failed"; "error" => %e);
        }
    });
    let agent = sysmonstm_agent::AgentConfig {
        hubs: vec![loopback_url(addr)],
        machine_id,
        interval: LOCAL_AGENT_INTERVAL,
        token: Some(token),
        buffer_samples: sysmonstm_agent::config::DEFAULT_BUFFER_SAMPLES as usize,
        rootfs: None,
        tls: None,
        labels: Default::default(),
    };
    tokio::spawn(sysmonstm_agent::run(agent, log.new(slog::o!("local_agent" => true)), shutdown.clone()));
}

/// Says at start-up who may stream, and how.
fn announce(parts: &GrpcParts, log: &Logger) {
    let config = &parts.config;
    let rules = &config.agent_tokens;
    if rules.is_empty() && parts.tokens.is_empty() {
        warn!(
            log,
            "no agent token configured: any agent may report any machine id \
            (issue one with the dashboard's Add machine or POST /api/agent-tokens, \
            or set --agent-token TOKEN[=GLOB] or --agent-token-file)"
        );
    } else if rules.is_empty() {
        info!(log, "agents must present a token issued by this hub (see GET /api/agent-tokens)");
    } else {
        let globs: Vec<&str> = rules.iter().map(TokenRule::glob).collect();
        info!(log, "agents must present a token"; "tokens" => rules.len(), "machine_globs" => globs.join(" "));
        if rules.iter().any(TokenRule::is_short) {
            warn!(log, "an agent token is shorter than recommended"; "min_len" => RECOMMENDED_TOKEN_LEN);
        }
    }
    let tls = match &config.tls {
        None => "off (plaintext)".to_owned(),
        Some(tls) if tls.client_ca.is_some() => "on, client certificates required".to_owned(),
        Some(_) => "on".to_owned(),
    };
    info!(log, "gRPC port"; "tls" => tls, "max_connections" => config.max_agent_connections,
        "max_streams_per_connection" => config.max_streams_per_connection);
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_for_unspecified() {
        assert_eq!(super::loopback_url("0.0.0.0:50051".parse().expect("addr")), "http://127.0.0.1:50051");
        assert_eq!(super::loopback_url("[::]:1".parse().expect("addr")), "http://[::1]:1");
        assert_eq!(super::loopback_url("10.1.2.3:5".parse().expect("addr")), "http://10.1.2.3:5");
    }
}
