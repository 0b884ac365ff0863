//! Hub configuration: flags with matching `SYSMONSTM_*` environment
//! variables, validated at start-up, and the [`HubConfig`] they make.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicI64;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use sysmonstm_protocol::duration::parse_positive;
use sysmonstm_protocol::logging::LogFormat;
use sysmonstm_protocol::machine_id;

use crate::token_rules::{self, TokenRule};
use sysmonstm_protocol::tls::ServerTls;

/// Default cap on open gRPC connections (agents, fleet watchers).
pub const DEFAULT_MAX_AGENT_CONNECTIONS: u32 = 20_000;
/// Default cap on concurrent streams per gRPC connection.
pub const DEFAULT_MAX_STREAMS_PER_CONNECTION: u32 = 128;
use crate::store::seal::MIN_COMPACT_AFTER;
use crate::store::{Retention, StoreOptions, MAINTENANCE_INTERVAL};

/// What a hub needs to run.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Where agents connect (gRPC). Port 0 picks a free port.
    pub grpc_addr: SocketAddr,
    /// Dashboard, REST and WebSocket. Port 0 picks a free port.
    pub http_addr: SocketAddr,
    /// Where the hub keeps its data (history arrives with the storage work).
    pub data_dir: PathBuf,
    /// Run an agent for this machine, streaming to this hub over gRPC.
    pub local_agent: bool,
    /// Machine id of the local agent (default: hostname).
    pub local_machine_id: Option<String>,
    /// Agent tokens and the machine ids each may report; none: any agent.
    pub agent_tokens: Vec<TokenRule>,
    /// TLS on the agents' gRPC port; None: plaintext.
    pub tls: Option<ServerTls>,
    /// gRPC connections open at once; more are closed as they arrive.
    pub max_agent_connections: usize,
    /// Concurrent gRPC streams on one connection (an agent uses one).
    pub max_streams_per_connection: u32,
    /// This hub's name among hubs sharing one Redis; named in Welcome and logs.
    pub hub_id: String,
    /// PostgreSQL URL; None keeps history in SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// Redis URL: joins the hubs sharing it into one fleet view.
    pub redis_url: Option<String>,
    /// A public relay to push the live feed to, and its API key.
    pub relay: Option<RelayTarget>,
    pub retention: Retention,
    /// How history is kept (chunk span).
    pub store: StoreOptions,
    /// How often rollups and retention run.
    pub maintenance_interval: Duration,
    /// Token for REST changes; None: generated once and kept in `data_dir`.
    pub admin_token: Option<String>,
    /// Token reading the dashboard, API, `/metrics` and FleetQuery needs; None: open.
    pub viewer_token: Option<String>,
    /// Accept webhook URLs on loopback, link-local and private addresses.
    pub allow_private_webhooks: bool,
    /// Origins besides the hub's own whose pages may open `/ws`.
    pub allowed_origins: Vec<String>,
    /// The agent binary `/download/sysmonstm-agent` serves; None: the
    /// `sysmonstm-agent` next to the hub's executable.
    pub agent_binary: Option<PathBuf>,
    /// The gRPC URL install scripts tell agents; None: the host the
    /// machine reached the hub by, with the gRPC port.
    pub public_url: Option<String>,
    /// The dashboard's address for links in notifications; None: this
    /// machine's name (or loopback) with the HTTP port.
    pub dashboard_url: Option<String>,
    /// Tests only (no flag): how far ahead of the system clock the alert
    /// engine and the notifier run, ms, moved while the hub runs (repeats
    /// and silence ends without waiting for them).
    pub alert_clock_offset: Option<Arc<AtomicI64>>,
}

impl HubConfig {
    /// Defaults for tests and embedding: loopback, free ports, no local agent.
    pub fn ephemeral(data_dir: PathBuf) -> Self {
        HubConfig {
            grpc_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            http_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            local_agent: false,
            local_machine_id: None,
            agent_tokens: Vec::new(),
            tls: None,
            max_agent_connections: DEFAULT_MAX_AGENT_CONNECTIONS as usize,
            max_streams_per_connection: DEFAULT_MAX_STREAMS_PER_CONNECTION,
            hub_id: format!("test-hub-{:08x}", rand::random::<u32>()),
            database_url: None,
            redis_url: None,
            relay: None,
            retention: Retention::default(),
            store: StoreOptions::default(),
            maintenance_interval: MAINTENANCE_INTERVAL,
            admin_token: None,
            viewer_token: None,
            allow_private_webhooks: false,
            allowed_origins: Vec::new(),
            agent_binary: None,
            public_url: None,
            dashboard_url: None,
            alert_clock_offset: None,
        }
    }
}

/// Where the hub pushes its live feed for the public.
#[derive(Debug, Clone)]
pub struct RelayTarget {
    /// `ws://host:8090/ingest` or `wss://…`.
    pub url: String,
    pub api_key: String,
}

/// sysmonstm hub: receives agents' samples, keeps the fleet's live state,
/// serves the dashboard.
#[derive(Debug, Parser)]
#[command(name = "sysmonstm-hub", version, about, long_about = None)]
pub struct HubArgs {
    /// Address agents connect to (gRPC).
    #[arg(long, env = "SYSMONSTM_GRPC_ADDR", default_value = "0.0.0.0:50051")]
    pub grpc_addr: SocketAddr,
    /// Address of the dashboard, REST API and WebSocket.
    #[arg(long, env = "SYSMONSTM_HTTP_ADDR", default_value = "0.0.0.0:8080")]
    pub http_addr: SocketAddr,
    /// Data directory (created if missing).
    #[arg(long, env = "SYSMONSTM_DATA_DIR", default_value = "./sysmonstm-data")]
    pub data_dir: PathBuf,
    /// Do not monitor this machine (by default the hub runs an agent for it).
    #[arg(long, env = "SYSMONSTM_NO_LOCAL_AGENT")]
    pub no_local_agent: bool,
    /// Machine id of the hub's own agent [default: the hostname].
    #[arg(long, env = "SYSMONSTM_MACHINE_ID", value_parser = machine_id::parse)]
    pub machine_id: Option<String>,
    /// A token agents send (authorization: Bearer), as TOKEN or TOKEN=GLOB:
    /// the token may then report only machine ids matching GLOB (web-*).
    /// Repeatable, or comma-separated. None at all accepts every agent.
    #[arg(long = "agent-token", env = "SYSMONSTM_AGENT_TOKEN", hide_env_values = true, value_delimiter = ',',
        value_parser = parse_token_arg)]
    pub agent_tokens: Vec<TokenArg>,
    /// A file of agent tokens, one TOKEN or TOKEN=GLOB per line (# comments),
    /// in addition to --agent-token (keeps tokens out of the process list).
    #[arg(long, env = "SYSMONSTM_AGENT_TOKEN_FILE", value_parser = parse_token_file)]
    pub agent_token_file: Option<TokenFile>,
    /// TLS certificate (PEM, with its chain) for the agents' gRPC port;
    /// agents then connect to https://. Needs --tls-key.
    #[arg(long, env = "SYSMONSTM_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, env = "SYSMONSTM_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// CA (PEM) whose certificates agents must present (mutual TLS). Needs --tls-cert.
    #[arg(long, env = "SYSMONSTM_CLIENT_CA", requires = "tls_cert")]
    pub client_ca: Option<PathBuf>,
    /// gRPC connections open at once; further ones are closed on arrival.
    #[arg(long, env = "SYSMONSTM_MAX_AGENT_CONNECTIONS", default_value_t = DEFAULT_MAX_AGENT_CONNECTIONS,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub max_agent_connections: u32,
    /// Concurrent gRPC streams one connection may open (an agent needs one).
    #[arg(long, env = "SYSMONSTM_MAX_STREAMS_PER_CONNECTION", default_value_t = DEFAULT_MAX_STREAMS_PER_CONNECTION,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub max_streams_per_connection: u32,
    /// PostgreSQL/TimescaleDB URL (postgres://user:pass@host/db); without it
    /// history is kept in SQLite in the data directory.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_parser = parse_database_url)]
    pub database_url: Option<String>,
    /// Redis URL (redis://host:6379/0): hubs sharing one Redis (and one
    /// PostgreSQL) show the whole fleet, whichever hub an agent streams to.
    #[arg(long, env = "REDIS_URL", hide_env_values = true, value_parser = parse_redis_url)]
    pub redis_url: Option<String>,
    /// Push the live dashboard to this public relay (ws://relay:8090/ingest).
    #[arg(long, env = "SYSMONSTM_RELAY_URL", value_parser = parse_relay_url, requires = "relay_api_key")]
    pub relay_url: Option<String>,
    /// The relay's API key (sent as Authorization: Bearer).
    #[arg(long, env = "SYSMONSTM_RELAY_API_KEY", hide_env_values = true, requires = "relay_url")]
    pub relay_api_key: Option<String>,
    /// This hub's name among hubs sharing Redis [default: hostname:gRPC port].
    #[arg(long, env = "SYSMONSTM_HUB_ID", value_parser = machine_id::parse)]
    pub hub_id: Option<String>,
    /// How much of each machine's timeline one sealed chunk of history
    /// covers: samples are kept as they arrive (what an ack waits for),
    /// then, once their span has passed, sealed into compact columns
    /// (about 14x smaller). Longer compresses a little better; at least 10s.
    #[arg(long, env = "SYSMONSTM_COMPACT_AFTER", default_value = "10m", value_parser = parse_compact_after)]
    pub compact_after: Duration,
    /// Disk the history may take (e.g. 20GB, 500MiB): past it the oldest
    /// raw samples go first, then the oldest 1-minute rollups, the 1-hour
    /// rollups last. Without it only the retention ages below apply.
    #[arg(long, env = "SYSMONSTM_MAX_DISK", value_parser = parse_max_disk)]
    pub max_disk: Option<bytesize::ByteSize>,
    /// How long raw samples are kept.
    #[arg(long, env = "SYSMONSTM_RETENTION_RAW", default_value = "7d", value_parser = parse_positive)]
    pub retention_raw: Duration,
    /// How long 1-minute rollups are kept.
    #[arg(long, env = "SYSMONSTM_RETENTION_1M", default_value = "90d", value_parser = parse_positive)]
    pub retention_1m: Duration,
    /// How long 1-hour rollups are kept.
    #[arg(long, env = "SYSMONSTM_RETENTION_1H", default_value = "2y", value_parser = parse_positive)]
    pub retention_1h: Duration,
    /// Token REST changes (rules) need, as `Authorization: Bearer …`; without
    /// one the hub generates a token at first start and keeps it in the data directory.
    #[arg(long, env = "SYSMONSTM_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Token needed to read: the dashboard (asked once per browser), the API,
    /// /metrics and FleetQuery. The admin token reads too. None: open to read.
    #[arg(long, env = "SYSMONSTM_VIEWER_TOKEN", hide_env_values = true)]
    pub viewer_token: Option<String>,
    /// Allow alert webhooks to loopback, link-local and private addresses.
    #[arg(long, env = "SYSMONSTM_ALLOW_PRIVATE_WEBHOOKS")]
    pub allow_private_webhooks: bool,
    /// An origin (`https://ops.example.com`) whose pages may open the live
    /// WebSocket besides the hub's own; repeatable, or comma-separated.
    #[arg(long = "allowed-origin", env = "SYSMONSTM_ALLOWED_ORIGINS", value_delimiter = ',',
        value_parser = crate::origin::parse)]
    pub allowed_origins: Vec<String>,
    /// The agent binary new machines download from /download/sysmonstm-agent
    /// (the one-line install) [default: sysmonstm-agent next to this executable].
    #[arg(long, env = "SYSMONSTM_AGENT_BINARY")]
    pub agent_binary: Option<PathBuf>,
    /// The gRPC URL the install script gives agents (`http[s]://host:port`),
    /// when they must reach the hub by another name than the dashboard's
    /// [default: the host the machine asked by, with the --grpc-addr port].
    #[arg(long, env = "SYSMONSTM_PUBLIC_URL", value_parser = crate::install::parse_public_url)]
    pub public_url: Option<String>,
    /// The dashboard's address as people open it (`https://hub.example.com`),
    /// for the links in notifications [default: http://THIS-MACHINE:PORT of --http-addr].
    #[arg(long, env = "SYSMONSTM_DASHBOARD_URL", value_parser = parse_dashboard_url)]
    pub dashboard_url: Option<String>,
    /// Log format.
    #[arg(long, env = "SYSMONSTM_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Ask the hub on --http-addr for /health and exit 0 if it answers 200
    /// (for container health checks).
    #[arg(long)]
    pub check_health: bool,
}

/// Smallest `--max-disk` accepted: room for the schema, the WAL and a few
/// minutes of recent rows.
pub const MIN_MAX_DISK: u64 = 10_000_000;

fn parse_max_disk(text: &str) -> Result<bytesize::ByteSize, String> {
    let size: bytesize::ByteSize =
        text.trim().parse().map_err(|e| format!("{text:?} is not a size such as 20GB or 500MiB ({e})"))?;
    if size.as_u64() < MIN_MAX_DISK {
        return Err(format!("{text} is less than the smallest store, {}", bytesize::ByteSize(MIN_MAX_DISK)));
    }
    Ok(size)
}

fn parse_compact_after(text: &str) -> Result<Duration, String> {
    let span = parse_positive(text)?;
    if span < MIN_COMPACT_AFTER {
        return Err(format!(
            "{text} is shorter than the shortest chunk span, {}",
            humantime::format_duration(MIN_COMPACT_AFTER)
        ));
    }
    Ok(span)
}

/// An empty value means "no token" (a compose file may pass an unset variable).
fn parse_token_arg(text: &str) -> Result<TokenArg, String> {
    if text.is_empty() {
        return Ok(TokenArg(None));
    }
    token_rules::parse_rule(text).map(|rule| TokenArg(Some(rule)))
}

/// One `--agent-token` value: a rule, or nothing for an empty value.
#[derive(Clone, Debug)]
pub struct TokenArg(pub Option<TokenRule>);

/// A token file, read and checked when the flags are parsed.
#[derive(Clone, Debug)]
pub struct TokenFile(pub Vec<TokenRule>);

fn parse_token_file(path: &str) -> Result<TokenFile, String> {
    token_rules::read_file(std::path::Path::new(path)).map(TokenFile)
}

fn parse_database_url(text: &str) -> Result<String, String> {
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        Ok(text.to_owned())
    } else {
        Err("must start with postgres:// or postgresql://".into())
    }
}

fn parse_relay_url(text: &str) -> Result<String, String> {
    // Empty means "no relay" (a compose file may pass an unset variable).
    let valid =
        text.is_empty() || (text.starts_with("ws://") || text.starts_with("wss://")) && url::Url::parse(text).is_ok();
    if valid {
        Ok(text.to_owned())
    } else {
        Err("must be a ws:// or wss:// URL, like ws://relay.example.com:8090/ingest".into())
    }
}

fn parse_redis_url(text: &str) -> Result<String, String> {
    if text.starts_with("redis://") || text.starts_with("rediss://") || text.starts_with("unix://") {
        Ok(text.to_owned())
    } else {
        Err("must start with redis://, rediss:// or unix://".into())
    }
}

impl HubArgs {
    pub fn config(&self) -> HubConfig {
        HubConfig {
            grpc_addr: self.grpc_addr,
            http_addr: self.http_addr,
            data_dir: self.data_dir.clone(),
            local_agent: !self.no_local_agent,
            local_machine_id: self.machine_id.clone(),
            tls: self.tls_cert.clone().zip(self.tls_key.clone()).map(|(cert, key)| ServerTls {
                cert,
                key,
                client_ca: self.client_ca.clone(),
            }),
            max_agent_connections: self.max_agent_connections as usize,
            max_streams_per_connection: self.max_streams_per_connection,
            agent_tokens: self
                .agent_tokens
                .iter()
                .filter_map(|arg| arg.0.clone())
                .chain(self.agent_token_file.iter().flat_map(|f| f.0.iter().cloned()))
                .collect(),
            hub_id: self
                .hub_id
                .clone()
                .unwrap_or_else(|| format!("{}:{}", sysmonstm_agent::config::local_hostname(), self.grpc_addr.port())),
            database_url: self.database_url.clone(),
            redis_url: self.redis_url.clone(),
            relay: self
                .relay_url
                .clone()
                .filter(|url| !url.is_empty())
                .zip(self.relay_api_key.clone().filter(|key| !key.is_empty()))
                .map(|(url, api_key)| RelayTarget { url, api_key }),
            retention: Retention {
                raw: self.retention_raw,
                minute: self.retention_1m,
                hour: self.retention_1h,
                max_disk: self.max_disk.map(|size| size.as_u64()),
            },
            store: StoreOptions { compact_after: self.compact_after },
            maintenance_interval: MAINTENANCE_INTERVAL,
            admin_token: self.admin_token.clone().filter(|t| !t.is_empty()),
            viewer_token: self.viewer_token.clone().filter(|t| !t.is_empty()),
            allow_private_webhooks: self.allow_private_webhooks,
            allowed_origins: self.allowed_origins.clone(),
            agent_binary: self.agent_binary.clone(),
            public_url: self.public_url.clone(),
            dashboard_url: self.dashboard_url.clone(),
            alert_clock_offset: None,
        }
    }
}

/// `--dashboard-url`: an http(s) URL, kept without a trailing slash.
fn parse_dashboard_url(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|e| format!("{text:?} is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("{text:?} must be http(s)://host[:port][/path]"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{text:?} must not have a query or fragment"));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<HubArgs, clap::Error> {
        HubArgs::try_parse_from(std::iter::once("sysmonstm-hub").chain(args.iter().copied()))
    }

    #[test]
    fn defaults() {
        let config = parse(&[]).expect("no flags parse").config();
        assert_eq!(config.grpc_addr.port(), 50051);
        assert_eq!(config.http_addr.port(), 8080);
        assert_eq!(config.data_dir, PathBuf::from("./sysmonstm-data"));
        assert!(config.local_agent);
        assert!(config.agent_tokens.is_empty());
        assert!(config.redis_url.is_none());
        assert!(config.hub_id.ends_with(":50051"), "{}", config.hub_id);
    }

    #[test]
    fn max_disk_takes_sizes_and_refuses_nonsense() {
        assert_eq!(parse(&[]).expect("defaults").config().retention.max_disk, None);
        let config = parse(&["--max-disk", "20GB"]).expect("a size").config();
        assert_eq!(config.retention.max_disk, Some(20_000_000_000));
        let config = parse(&["--max-disk", "1.5 GiB"]).expect("binary units").config();
        assert_eq!(config.retention.max_disk, Some(1_610_612_736));
        for (bad, says) in [("lots", "not a size"), ("1KB", "less than the smallest"), ("5 parsecs", "not a size")] {
            let error = parse(&["--max-disk", bad]).expect_err(bad).to_string();
            assert!(error.contains("--max-disk") && error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn redis_and_hub_id() {
        let config = parse(&["--redis-url", "redis://127.0.0.1:6379/0", "--hub-id", "hub-a"])
            .expect("valid flags parse")
            .config();
        assert_eq!(config.redis_url.as_deref(), Some("redis://127.0.0.1:6379/0"));
        assert_eq!(config.hub_id, "hub-a");
    }

    #[test]
    fn allowed_origins_repeat_or_comma() {
        let config = parse(&["--allowed-origin", "https://a.example", "--allowed-origin", "http://b:3000,https://c"])
            .expect("valid flags parse")
            .config();
        assert_eq!(config.allowed_origins, vec!["https://a.example", "http://b:3000", "https://c"]);
    }

    #[test]
    fn public_url_is_a_grpc_url_without_path_or_shell() {
        let config = parse(&["--public-url", "https://agents.example:50051/"]).expect("parses").config();
        assert_eq!(config.public_url.as_deref(), Some("https://agents.example:50051"));
        for bad in ["agents.example:50051", "ftp://x", "http://", "http://x/path", "http://x$(id)"] {
            let error = parse(&["--public-url", bad]).expect_err(bad).to_string();
            assert!(error.contains("--public-url"), "{bad}: {error}");
        }
    }

    #[test]
    fn dashboard_url_is_http_without_query() {
        let config = parse(&["--dashboard-url", "https://ops.example.com/hub/"]).expect("parses").config();
        assert_eq!(config.dashboard_url.as_deref(), Some("https://ops.example.com/hub"));
        for bad in ["ops.example.com", "ftp://x", "https://x/?a=1", "https://x/#top"] {
            let error = parse(&["--dashboard-url", bad]).expect_err(bad).to_string();
            assert!(error.contains("--dashboard-url"), "{bad}: {error}");
        }
    }

    #[test]
    fn agent_tokens_from_flags_and_a_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("tokens");
        std::fs::write(&file, "# fleet\ndbtoken=db-*\n").expect("write");
        let file = file.to_str().expect("utf-8 path");
        let config = parse(&["--agent-token", "webtoken=web-*", "--agent-token", "any,", "--agent-token-file", file])
            .expect("valid flags parse")
            .config();
        let globs: Vec<&str> = config.agent_tokens.iter().map(TokenRule::glob).collect();
        assert_eq!(globs, vec!["web-*", "*", "db-*"]);
        std::fs::write(dir.path().join("bad"), "ok\nbad=[\n").expect("write");
        let bad = dir.path().join("bad");
        let error = parse(&["--agent-token-file", bad.to_str().expect("utf-8")]).expect_err("bad file").to_string();
        assert!(error.contains("--agent-token-file") && error.contains("line 2"), "{error}");
        let error = parse(&["--agent-token", "t=web-["]).expect_err("bad glob").to_string();
        assert!(error.contains("--agent-token") && error.contains("glob"), "{error}");
    }

    #[test]
    fn relay_target() {
        let config = parse(&["--relay-url", "ws://relay:8090/ingest", "--relay-api-key", "0123456789abcdef"])
            .expect("valid flags parse")
            .config();
        let relay = config.relay.expect("relay configured");
        assert_eq!((relay.url.as_str(), relay.api_key.as_str()), ("ws://relay:8090/ingest", "0123456789abcdef"));
        let unset = parse(&["--relay-url", "", "--relay-api-key", ""]).expect("empty means unset").config();
        assert!(unset.relay.is_none());
    }

    #[test]
    fn flags_apply() {
        let config = parse(&[
            "--grpc-addr",
            "127.0.0.1:1",
            "--http-addr",
            "[::1]:2",
            "--no-local-agent",
            "--agent-token",
            "t",
            "--machine-id",
            "me",
        ])
        .expect("valid flags parse")
        .config();
        assert_eq!(config.grpc_addr, "127.0.0.1:1".parse().expect("addr"));
        assert!(!config.local_agent);
        assert_eq!(config.agent_tokens.iter().map(TokenRule::glob).collect::<Vec<_>>(), vec!["*"]);
        assert_eq!(config.local_machine_id.as_deref(), Some("me"));
    }

    #[test]
    fn errors_name_the_flag() {
        for (args, flag) in [
            (vec!["--grpc-addr", "nowhere"], "--grpc-addr"),
            (vec!["--http-addr", "1.2.3.4"], "--http-addr"),
            (vec!["--log-format", "yaml"], "--log-format"),
            (vec!["--machine-id", ""], "--machine-id"),
            (vec!["--redis-url", "http://localhost"], "--redis-url"),
            (vec!["--relay-url", "http://relay/ingest", "--relay-api-key", "k"], "--relay-url"),
            (vec!["--relay-url", "ws://relay:8090/ingest"], "--relay-api-key"),
            (vec!["--relay-api-key", "k"], "--relay-url"),
            (vec!["--allowed-origin", "ops.example.com"], "--allowed-origin"),
            (vec!["--hub-id", ""], "--hub-id"),
        ] {
            let err = parse(&args).expect_err("bad flag is refused").to_string();
            assert!(err.contains(flag), "{args:?}: {err}");
        }
    }
}
