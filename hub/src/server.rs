//! Starting and stopping a hub: the actix system (actors + HTTP) on one
//! thread, tonic on its own multi-threaded tokio runtime on another, and the
//! local agent on the tonic runtime streaming to the hub over real gRPC.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use actix::prelude::*;
use actix_web::{web, App, HttpServer};
use slog::{info, warn, Logger};
use sysmonstm_protocol::tls::{ServerTls, TlsError};
use tokio::sync::{oneshot, watch};

use crate::actors::machine_session::SetInterval;
use crate::actors::registry::{FindSession, MachineRegistry};
use crate::actors::storage_writer::{MaintainNow, StorageWriter};
use crate::actors::system::{Actors, ActorsConfig, ClusterLink};
use crate::admin_token;
use crate::agent_binary::AgentBinary;
use crate::agent_tokens::{book::TokenBook, AgentToken};
use crate::alerts::channel::Channel;
use crate::alerts::engine::{Alert, AlertState};
use crate::alerts::rule::{self, Policy, Rule};
use crate::alerts::silence::Silence;
use crate::config::HubConfig;
use crate::events::LiveSender;
use crate::grpc::{self, serve::GrpcParts};
use crate::health::Health;
use crate::http::{self, AppState};
use crate::read_access::ReadAccess;
use crate::stats::Stats;
use crate::store::status::StoreStatus;
use crate::store::{self, AlertQuery, KnownMachine, Store, StoreError};

/// How long in-flight requests get to finish when the hub stops.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Why the hub could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {what} address {addr}: {source}")]
    Bind { what: &'static str, addr: SocketAddr, source: std::io::Error },
    #[error("cannot create the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("cannot start the {0} runtime: {1}")]
    Runtime(&'static str, std::io::Error),
    #[error("cannot open the store: {0}")]
    Store(StoreError),
    #[error("the actor system failed to start: {0}")]
    Actors(String),
    #[error("{0}")]
    Tls(TlsError),
}

/// A running hub. [`HubHandle::stop`] shuts it down and waits.
pub struct HubHandle {
    pub http_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    registry: Addr<MachineRegistry>,
    writer: Addr<StorageWriter>,
    shutdown: watch::Sender<bool>,
    stop_actix: Option<oneshot::Sender<()>>,
    actix_thread: JoinHandle<()>,
    grpc_thread: JoinHandle<()>,
}

impl HubHandle {
    /// Pushes a new sampling interval to a connected agent, live. Returns
    /// whether the machine is known and its agent connected.
    pub async fn set_interval(&self, machine_id: &str, interval: Duration) -> bool {
        match self.registry.send(FindSession(machine_id.to_owned())).await {
            Ok(Some(session)) => session.send(SetInterval(interval)).await.unwrap_or(false),
            _ => false,
        }
    }

    /// Runs rollups and retention now, instead of waiting for the next interval.
    pub async fn maintain_now(&self) {
        let _ = self.writer.send(MaintainNow).await;
    }

    /// Stops everything and waits for the threads to end. Blocking.
    ///
    /// Order matters: agents' streams end first (no new samples), then the
    /// storage writer commits what it holds, then the actors and HTTP stop.
    pub fn stop(mut self) {
        self.shutdown.send_replace(true);
        let _ = self.grpc_thread.join();
        if let Some(stop) = self.stop_actix.take() {
            let _ = stop.send(());
        }
        let _ = self.actix_thread.join();
    }
}

fn bind(what: &'static str, addr: SocketAddr) -> Result<TcpListener, StartError> {
    let listener = TcpListener::bind(addr).map_err(|source| StartError::Bind { what, addr, source })?;
    listener.set_nonblocking(true).map_err(|source| StartError::Bind { what, addr, source })?;
    Ok(listener)
}

/// The dashboard's address in notifications: `--dashboard-url`, else this
/// machine's name (loopback when the hub listens only there) and the port.
fn dashboard_url(configured: Option<&str>, http: SocketAddr) -> String {
    if let Some(url) = configured {
        return url.to_owned();
    }
    let host = if http.ip().is_loopback() {
        http.ip().to_string()
    } else {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| http.ip().to_string())
    };
    let host = if host.contains(':') { format!("[{host}]") } else { host };
    format!("http://{host}:{}", http.port())
}

fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

/// What the hub loads from its store at start-up.
struct Loaded {
    store: Arc<dyn Store>,
    known: Vec<KnownMachine>,
    rules: Vec<Rule>,
    channels: Vec<Channel>,
    silences: Vec<Silence>,
    firing: Vec<Alert>,
    tokens: Vec<AgentToken>,
}

/// Most firing alerts restored at start-up.
const MAX_RESTORED_ALERTS: i64 = 100_000;

/// Opens the store and reads machines, rules and firing alerts, on `runtime`, from any thread.
fn open_store(runtime: &tokio::runtime::Runtime, config: &HubConfig) -> Result<Loaded, StartError> {
    let work = async {
        let store = store::open(config.database_url.as_deref(), &config.data_dir, config.store).await?;
        let known = store.known_machines().await?;
        let rules = store.rules_or_defaults(rule::defaults(crate::now_ms())).await?;
        let query = AlertQuery { state: Some(AlertState::Firing), limit: MAX_RESTORED_ALERTS, ..AlertQuery::default() };
        let firing = store.alerts(&query).await?;
        let tokens = store.agent_tokens().await?;
        let channels = store.channels().await?;
        let silences = store.silences().await?;
        Ok::<_, StoreError>(Loaded { store, known, rules, channels, silences, firing, tokens })
    };
    // block_on may not run inside another runtime (tests call start from one).
    std::thread::scope(|scope| scope.spawn(|| runtime.block_on(work)).join())
        .map_err(|_| StartError::Actors("the store opener panicked".into()))?
        .map_err(StartError::Store)
}

/// Starts a hub; returns once both servers listen.
pub fn start(config: HubConfig, log: Logger) -> Result<HubHandle, StartError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|source| StartError::DataDir { path: config.data_dir.display().to_string(), source })?;
    let http_listener = bind("HTTP", config.http_addr)?;
    let grpc_listener = bind("gRPC", config.grpc_addr)?;
    let http_addr = http_listener.local_addr().map_err(|e| StartError::Runtime("HTTP", e))?;
    let grpc_addr = grpc_listener.local_addr().map_err(|e| StartError::Runtime("gRPC", e))?;
    let local_listener =
        if config.local_agent { Some(bind("local agent gRPC", SocketAddr::from(([127, 0, 0, 1], 0)))?) } else { None };
    let tls = config.tls.as_ref().map(ServerTls::config).transpose().map_err(StartError::Tls)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores())
        .thread_name("hub-grpc")
        .enable_all()
        .build()
        .map_err(|e| StartError::Runtime("gRPC", e))?;
    let Loaded { store, known, rules, channels, silences, firing, tokens } = open_store(&runtime, &config)?;
    info!(log, "store open"; "store" => store.describe(), "known_machines" => known.len(), "rules" => rules.len(),
        "channels" => channels.len(), "firing_alerts" => firing.len(), "agent_tokens" => tokens.len());
    let dashboard: Arc<str> = Arc::from(dashboard_url(config.dashboard_url.as_deref(), http_addr));
    let tokens = TokenBook::new(tokens, crate::now_ms());
    let admin_token = admin_token::resolve(config.admin_token.as_deref(), &config.data_dir, &log)
        .map_err(|source| StartError::DataDir { path: config.data_dir.display().to_string(), source })?;
    let admin_token: Arc<str> = Arc::from(admin_token);
    let readers = ReadAccess::new(config.viewer_token.as_deref(), &admin_token);
    if readers.required() {
        info!(log, "reading the dashboard, API, /metrics and FleetQuery needs the viewer (or admin) token");
    }
    let store_status = Arc::new(StoreStatus::default());
    let stats = Arc::new(Stats::default());
    let cluster = config.redis_url.clone().map(|url| ClusterLink {
        url,
        hub_id: config.hub_id.clone(),
        health: Arc::new(Health::default()),
    });
    let web = WebParts {
        admin_token,
        tokens: tokens.clone(),
        readers: readers.clone(),
        store: store.clone(),
        store_status: store_status.clone(),
        stats: stats.clone(),
        redis_health: cluster.as_ref().map(|c| c.health.clone()),
        allowed_origins: Arc::from(config.allowed_origins.clone()),
        agent_binary: Arc::new(AgentBinary::new(config.agent_binary.clone())),
        public_url: config.public_url.as_deref().map(Arc::from),
        grpc_port: grpc_addr.port(),
        grpc_tls: tls.is_some(),
        log: log.clone(),
    };
    announce_downloads(&web.agent_binary, &log);
    let actors = ActorsConfig {
        store: store.clone(),
        store_status: store_status.clone(),
        stats: stats.clone(),
        known,
        rules,
        channels,
        silences,
        dashboard: Some(dashboard),
        firing,
        policy: Policy { allow_private_webhooks: config.allow_private_webhooks },
        retention: config.retention,
        maintenance_interval: config.maintenance_interval,
        cluster,
        relay: config.relay.clone(),
        session_arbiters: cores(),
        clock: match config.alert_clock_offset.clone() {
            None => Arc::new(crate::now_ms),
            Some(offset) => Arc::new(move || crate::now_ms() + offset.load(std::sync::atomic::Ordering::Relaxed)),
        },
        log: log.clone(),
    };
    let (shutdown, shutdown_rx) = watch::channel(false);

    let (stop_actix, stop_actix_rx) = oneshot::channel();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let actix_thread = std::thread::Builder::new()
        .name("hub-actix".into())
        .spawn(move || run_actix(http_listener, actors, web, ready_tx, stop_actix_rx))
        .map_err(|e| StartError::Runtime("actix", e))?;
    let Started { registry, live, writer } = ready_rx
        .recv()
        .map_err(|_| StartError::Actors("the actor thread ended early".into()))?
        .map_err(StartError::Actors)?;

    let grpc_thread = {
        let (registry, log) = (registry.clone(), log.clone());
        std::thread::Builder::new()
            .name("hub-grpc-main".into())
            .spawn(move || {
                let parts = GrpcParts {
                    config,
                    agents: Some(grpc_listener),
                    local: local_listener,
                    tls,
                    readers,
                    registry,
                    live,
                    store,
                    store_status,
                    stats,
                    tokens,
                    log: log.clone(),
                };
                runtime.block_on(grpc::serve::run(parts, shutdown_rx, SHUTDOWN_GRACE));
                runtime.shutdown_timeout(SHUTDOWN_GRACE);
            })
            .map_err(|e| StartError::Runtime("gRPC", e))?
    };
    info!(log, "hub listening"; "http" => %http_addr, "grpc" => %grpc_addr);
    Ok(HubHandle {
        http_addr,
        grpc_addr,
        registry,
        writer,
        shutdown,
        stop_actix: Some(stop_actix),
        actix_thread,
        grpc_thread,
    })
}

/// What the actor thread hands back once it runs.
struct Started {
    registry: Addr<MachineRegistry>,
    live: LiveSender,
    writer: Addr<StorageWriter>,
}

/// What the HTTP side starts with, besides the actors' addresses.
struct WebParts {
    admin_token: Arc<str>,
    tokens: Arc<TokenBook>,
    readers: ReadAccess,
    store: Arc<dyn Store>,
    store_status: Arc<StoreStatus>,
    stats: Arc<Stats>,
    redis_health: Option<Arc<Health>>,
    allowed_origins: Arc<[String]>,
    agent_binary: Arc<AgentBinary>,
    public_url: Option<Arc<str>>,
    grpc_port: u16,
    grpc_tls: bool,
    log: Logger,
}

/// Says whether `/install.sh` can install agents, and how to make it so.
fn announce_downloads(binary: &AgentBinary, log: &Logger) {
    match binary.size() {
        Ok(size) => info!(log, "agent downloads ready: /install.sh installs this binary";
            "agent_binary" => %binary.path().display(), "bytes" => size),
        Err(e) => warn!(log, "agent downloads unavailable: /install.sh cannot install agents"; "why" => %e),
    }
}

/// The actix system thread: the actors, then the HTTP server on it; on
/// `stop`, the writer's last batch, HTTP, then the actors.
fn run_actix(
    listener: TcpListener,
    actors: ActorsConfig,
    web: WebParts,
    ready: std::sync::mpsc::Sender<Result<Started, String>>,
    stop: oneshot::Receiver<()>,
) {
    let system = actix_rt::System::new();
    system.block_on(async move {
        let log = web.log.clone();
        let actors = match Actors::start(actors).await {
            Ok(actors) => actors,
            Err(e) => {
                let _ = ready.send(Err(e.to_string()));
                return;
            }
        };
        let state = AppState {
            alerts: actors.alerts.clone(),
            notifier: actors.notifier.clone(),
            admin_token: web.admin_token,
            tokens: web.tokens,
            readers: web.readers,
            registry: actors.registry.clone(),
            live: actors.live.clone(),
            stats: web.stats,
            store: web.store,
            store_status: web.store_status,
            redis_health: web.redis_health,
            allowed_origins: web.allowed_origins,
            agent_binary: web.agent_binary,
            public_url: web.public_url,
            grpc_port: web.grpc_port,
            grpc_tls: web.grpc_tls,
            lockout: Arc::default(),
            log: log.clone(),
        };
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(state.clone()))
                .wrap(actix_web::middleware::from_fn(http::access::gate))
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
                let _ = ready.send(Err(format!("HTTP server: {e}")));
                return;
            }
        };
        let handle = server.handle();
        actix_rt::spawn(server);
        let started =
            Started { registry: actors.registry.clone(), live: actors.live.clone(), writer: actors.writer.clone() };
        if ready.send(Ok(started)).is_err() {
            return;
        }
        let _ = stop.await;
        actors.drain().await;
        handle.stop(true).await;
        actors.stop();
        info!(log, "HTTP server and actors stopped");
    });
}
