//! Agent configuration: the command-line flags (each also an environment
//! variable `SYSMONSTM_<NAME>`) and the validated [`AgentConfig`] they make.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use sysmonstm_protocol::duration::parse_positive;
use sysmonstm_protocol::labels::{self, Labels};
use sysmonstm_protocol::logging::LogFormat;
use sysmonstm_protocol::machine_id;
use sysmonstm_protocol::tls::ClientTls;
use tonic::transport::ClientTlsConfig;

/// Default hub address.
pub const DEFAULT_HUB: &str = "http://127.0.0.1:50051";
/// Default unacked-buffer size: one hour at one sample a second.
pub const DEFAULT_BUFFER_SAMPLES: u64 = 3600;
/// Shortest sampling interval an agent accepts, from a flag or from the hub.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// What an agent needs to run.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Hub gRPC URLs, http:// or https://, tried in order (failover).
    pub hubs: Vec<String>,
    pub machine_id: String,
    pub interval: Duration,
    /// Sent as `authorization: Bearer <token>` when set.
    pub token: Option<String>,
    pub buffer_samples: usize,
    /// The host's root filesystem mounted here (an agent in a container):
    /// disks are read from the host's mount table, measured under this path.
    pub rootfs: Option<PathBuf>,
    /// TLS toward https:// hubs (CA, client certificate), loaded and checked.
    pub tls: Option<ClientTlsConfig>,
    /// Labels sent in Hello (the hub's own labels win for the same key).
    pub labels: Labels,
}

/// sysmonstm agent: samples this machine and streams it to a hub.
#[derive(Debug, Parser)]
#[command(name = "sysmonstm-agent", version, about, long_about = None)]
pub struct AgentArgs {
    /// Hub gRPC URL; several, comma-separated, are tried in order and failed over.
    #[arg(long, env = "SYSMONSTM_HUB", default_value = DEFAULT_HUB, value_parser = parse_hub_list)]
    pub hub: String,
    /// Name this machine reports as [default: the hostname].
    #[arg(long, env = "SYSMONSTM_MACHINE_ID", value_parser = machine_id::parse)]
    pub machine_id: Option<String>,
    /// Sampling interval (500ms, 1s, 5s...); the hub may change it live.
    #[arg(long, env = "SYSMONSTM_INTERVAL", default_value = "1s", value_parser = parse_interval)]
    pub interval: Duration,
    /// Agent token the hub expects, sent as a Bearer token.
    #[arg(long, env = "SYSMONSTM_TOKEN", hide_env_values = true, conflicts_with = "token_file")]
    pub token: Option<String>,
    /// A file holding the agent token (its first line; keeps the token out of
    /// the process list).
    #[arg(long, env = "SYSMONSTM_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// CA certificate (PEM) to trust for https:// hubs [default: the system's roots].
    #[arg(long, env = "SYSMONSTM_TLS_CA")]
    pub tls_ca: Option<PathBuf>,
    /// Client certificate (PEM) for hubs that require one (mutual TLS). Needs --tls-key.
    #[arg(long, env = "SYSMONSTM_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, env = "SYSMONSTM_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Samples kept until the hub acks them; when full the oldest are dropped.
    #[arg(long, env = "SYSMONSTM_BUFFER_SAMPLES", default_value_t = DEFAULT_BUFFER_SAMPLES,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub buffer_samples: u64,
    /// Where the host's root filesystem is mounted, for an agent in a
    /// container (e.g. /host, with `pid: host`): disks are then the host's.
    #[arg(long, env = "SYSMONSTM_ROOTFS", value_parser = parse_rootfs)]
    pub rootfs: Option<PathBuf>,
    /// A label for this machine, key=value (env=prod); repeatable. The
    /// variable takes several, comma-separated.
    #[arg(long = "label", value_name = "KEY=VALUE", env = "SYSMONSTM_LABELS", value_delimiter = ',',
          value_parser = labels::parse_pair)]
    pub labels: Vec<(String, String)>,
    /// Print one sample as JSON on stdout and exit.
    #[arg(long, env = "SYSMONSTM_ONCE")]
    pub once: bool,
    /// Log format.
    #[arg(long, env = "SYSMONSTM_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

impl AgentArgs {
    /// The configuration, with the token file and TLS files read and checked.
    pub fn config(&self) -> Result<AgentConfig, String> {
        let hubs = split_hubs(&self.hub);
        let token = match &self.token_file {
            Some(path) => Some(read_token_file(path)?),
            None => self.token.clone().filter(|t| !t.is_empty()),
        };
        let tls_flags = self.tls_ca.is_some() || self.tls_cert.is_some();
        let tls = if hubs.iter().any(|h| h.starts_with("https://")) {
            let files = ClientTls { ca: self.tls_ca.clone(), cert: self.tls_cert.clone(), key: self.tls_key.clone() };
            Some(files.config().map_err(|e| e.to_string())?)
        } else if tls_flags {
            return Err(format!(
                "--tls-ca/--tls-cert are for https:// hubs, but --hub is {}; write https://",
                self.hub
            ));
        } else {
            None
        };
        let mut labels = Labels::new();
        for (key, value) in &self.labels {
            if labels.insert(key.clone(), value.clone()).is_some() {
                return Err(format!("--label: {key} is given twice"));
            }
        }
        labels::check(&labels).map_err(|(_, e)| format!("--label: {e}"))?;
        Ok(AgentConfig {
            labels,
            hubs,
            machine_id: self.machine_id.clone().unwrap_or_else(local_hostname),
            interval: self.interval,
            token,
            buffer_samples: self.buffer_samples as usize,
            rootfs: self.rootfs.clone(),
            tls,
        })
    }
}

/// The first line of a token file, trimmed.
fn read_token_file(path: &std::path::Path) -> Result<String, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("--token-file: cannot read {}: {e}", path.display()))?;
    match text.lines().next().map(str::trim) {
        Some(token) if !token.is_empty() => Ok(token.to_owned()),
        _ => Err(format!("--token-file: {} is empty; put the token on its first line", path.display())),
    }
}

/// This machine's hostname, the default machine id.
pub fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| machine_id::validate(h).is_ok())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Accepts http:// and https:// URLs with a host.
pub fn parse_hub_url(text: &str) -> Result<String, String> {
    let uri: tonic::codegen::http::Uri =
        text.parse().map_err(|e| format!("`{text}` is not a URL ({e}); write e.g. {DEFAULT_HUB}"))?;
    match uri.scheme_str() {
        Some("http") | Some("https") if uri.host().is_some() => Ok(text.to_owned()),
        _ => Err(format!("`{text}` must be an http:// or https:// URL with a host, e.g. {DEFAULT_HUB}")),
    }
}

/// The URLs of a comma-separated `--hub` list.
pub fn split_hubs(list: &str) -> Vec<String> {
    list.split(',').map(str::trim).filter(|h| !h.is_empty()).map(str::to_owned).collect()
}

/// Accepts one or more comma-separated hub URLs.
pub fn parse_hub_list(text: &str) -> Result<String, String> {
    let hubs = split_hubs(text);
    if hubs.is_empty() {
        return Err(format!("`{text}` names no hub; write e.g. {DEFAULT_HUB}"));
    }
    for hub in &hubs {
        parse_hub_url(hub)?;
    }
    Ok(text.to_owned())
}

fn parse_rootfs(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    if !path.is_absolute() {
        return Err(format!("`{text}` must be an absolute path, like /host"));
    }
    if !path.is_dir() {
        return Err(format!("`{text}` is not a directory (mount the host's / there read-only)"));
    }
    Ok(path)
}

fn parse_interval(text: &str) -> Result<Duration, String> {
    let interval = parse_positive(text)?;
    if interval < MIN_INTERVAL {
        return Err(format!("`{text}` is shorter than the minimum of {}ms", MIN_INTERVAL.as_millis()));
    }
    Ok(interval)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<AgentArgs, clap::Error> {
        AgentArgs::try_parse_from(std::iter::once("sysmonstm-agent").chain(args.iter().copied()))
    }

    #[test]
    fn defaults() {
        let args = parse(&[]).expect("no flags parse");
        let config = args.config().expect("valid configuration");
        assert_eq!(config.hubs, vec![DEFAULT_HUB.to_owned()]);
        assert_eq!(config.interval, Duration::from_secs(1));
        assert_eq!(config.buffer_samples, 3600);
        assert!(!config.machine_id.is_empty());
        assert!(!args.once);
    }

    #[test]
    fn accepts_values() {
        let args = parse(&[
            "--hub",
            "https://hub.example:443",
            "--interval",
            "500ms",
            "--machine-id",
            "db-1",
            "--buffer-samples",
            "10",
            "--token",
            "s3cret",
            "--log-format",
            "json",
            "--once",
        ])
        .expect("valid flags parse");
        let config = args.config().expect("valid configuration");
        assert_eq!(config.interval, Duration::from_millis(500));
        assert_eq!(config.machine_id, "db-1");
        assert_eq!(config.token.as_deref(), Some("s3cret"));
        assert_eq!(args.log_format, LogFormat::Json);
    }

    #[test]
    fn several_hubs_in_order() {
        let config = parse(&["--hub", "http://a:50051, http://b:50051"]).expect("list parses").config().expect("valid");
        assert_eq!(config.hubs, vec!["http://a:50051".to_owned(), "http://b:50051".to_owned()]);
    }

    #[test]
    fn rootfs_is_an_existing_directory() {
        let config = parse(&["--rootfs", "/"]).expect("parses").config().expect("valid");
        assert_eq!(config.rootfs, Some(PathBuf::from("/")));
        assert_eq!(parse(&[]).expect("parses").config().expect("valid").rootfs, None);
    }

    #[test]
    fn https_hubs_get_tls_and_tls_files_need_https() {
        let config = parse(&["--hub", "https://hub.example:50051"]).expect("parses").config().expect("valid");
        assert!(config.tls.is_some(), "https uses TLS with the system's roots");
        assert!(parse(&[]).expect("parses").config().expect("valid").tls.is_none());
        let error = parse(&["--hub", "http://hub:50051", "--tls-ca", "/etc/hostname"])
            .expect("parses")
            .config()
            .expect_err("TLS files for a plaintext hub");
        assert!(error.contains("https://"), "{error}");
        let error = parse(&["--hub", "https://hub:50051", "--tls-ca", "/nonexistent/ca.pem"])
            .expect("parses")
            .config()
            .expect_err("missing CA file");
        assert!(error.contains("/nonexistent/ca.pem"), "{error}");
        assert!(parse(&["--tls-cert", "/a.pem"]).is_err(), "a certificate needs its key");
    }

    #[test]
    fn labels_from_flags_or_the_environment_variable() {
        let config = parse(&["--label", "env=prod", "--label", "role=web"]).expect("parses").config().expect("valid");
        assert_eq!(config.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(), ["env=prod", "role=web"]);
        let listed = parse(&["--label", "env=prod,rack=r1"]).expect("parses").config().expect("valid");
        assert_eq!(listed.labels.len(), 2, "comma-separated, as SYSMONSTM_LABELS gives them");
        assert!(parse(&["--label", "Env=prod"]).is_err(), "a bad key is refused by the flag's parser");
        assert!(parse(&["--label", "env"]).is_err());
        let twice = parse(&["--label", "env=a", "--label", "env=b"]).expect("parses").config().unwrap_err();
        assert!(twice.contains("env is given twice"), "{twice}");
        let many: Vec<String> = (0..33).map(|i| format!("k{i}=v")).collect();
        let args: Vec<&str> = many.iter().flat_map(|l| ["--label", l.as_str()]).collect();
        assert!(parse(&args).expect("parses").config().unwrap_err().contains("at most 32"));
        assert!(parse(&[]).expect("parses").config().expect("valid").labels.is_empty());
    }

    #[test]
    fn token_from_a_file() {
        let dir = std::env::temp_dir().join(format!("sysmonstm-token-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("token");
        std::fs::write(&file, "  fleet-token-0123456789  \nignored\n").expect("write");
        let config = parse(&["--token-file", file.to_str().expect("utf-8")]).expect("parses").config().expect("valid");
        assert_eq!(config.token.as_deref(), Some("fleet-token-0123456789"));
        std::fs::write(&file, "\n").expect("write");
        let error = parse(&["--token-file", file.to_str().expect("utf-8")]).expect("parses").config().unwrap_err();
        assert!(error.contains("empty"), "{error}");
        assert!(parse(&["--token", "a", "--token-file", "/b"]).is_err(), "one or the other");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn errors_name_the_flag() {
        for (args, flag) in [
            (vec!["--interval", "soon"], "--interval"),
            (vec!["--interval", "10ms"], "--interval"),
            (vec!["--hub", "ftp://x"], "--hub"),
            (vec!["--hub", "not a url"], "--hub"),
            (vec!["--hub", "http://a:1,ftp://b"], "--hub"),
            (vec!["--hub", ","], "--hub"),
            (vec!["--buffer-samples", "0"], "--buffer-samples"),
            (vec!["--machine-id", ""], "--machine-id"),
            (vec!["--log-format", "xml"], "--log-format"),
            (vec!["--rootfs", "host"], "--rootfs"),
            (vec!["--rootfs", "/no/such/dir"], "--rootfs"),
        ] {
            let err = parse(&args).expect_err("bad flag is refused").to_string();
            assert!(err.contains(flag), "{args:?}: {err}");
        }
    }
}
