//! Relay configuration: flags with matching environment variables,
//! validated at start-up, and the [`RelayConfig`] they make.

use std::net::SocketAddr;

use clap::Parser;
use sysmonstm_protocol::logging::LogFormat;

/// Shortest API key the relay accepts: it guards a public endpoint.
pub const MIN_API_KEY_LEN: usize = 16;
/// Default cap on connected viewers.
pub const DEFAULT_MAX_VIEWERS: usize = 10_000;

/// What a relay needs to run.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Where hubs push (`/ingest`) and viewers connect. Port 0 picks a free port.
    pub listen: SocketAddr,
    /// What hubs must send as `Authorization: Bearer …` on `/ingest`.
    pub api_key: String,
    /// Viewers beyond this many are turned away (503).
    pub max_viewers: usize,
}

impl RelayConfig {
    /// Loopback, a free port: for tests and embedding.
    pub fn ephemeral(api_key: &str) -> Self {
        RelayConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_key: api_key.to_owned(),
            max_viewers: DEFAULT_MAX_VIEWERS,
        }
    }
}

/// sysmonstm relay: republishes a hub's live dashboard to the public,
/// read-only. A hub pushes its live feed to /ingest with the API key;
/// viewers get the dashboard, /ws, /api/machines and /health, nothing else.
#[derive(Debug, Parser)]
#[command(name = "sysmonstm-relay", version, about, long_about = None)]
pub struct RelayArgs {
    /// Address to serve viewers and hubs on.
    #[arg(long, env = "SYSMONSTM_RELAY_LISTEN", default_value = "0.0.0.0:8090")]
    pub listen: SocketAddr,
    /// Key hubs must present on /ingest (Authorization: Bearer KEY); at least
    /// 16 characters. Give the same key to the hub's --relay-api-key.
    #[arg(long, env = "SYSMONSTM_RELAY_API_KEY", hide_env_values = true, value_parser = parse_api_key,
        required_unless_present = "check_health")]
    pub api_key: Option<String>,
    /// Most viewers connected at once; more get 503.
    #[arg(long, env = "SYSMONSTM_RELAY_MAX_VIEWERS", default_value_t = DEFAULT_MAX_VIEWERS, value_parser = parse_max_viewers)]
    pub max_viewers: usize,
    /// Log format.
    #[arg(long, env = "SYSMONSTM_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Ask the relay on --listen for /health and exit 0 if it answers 200
    /// (for container health checks).
    #[arg(long)]
    pub check_health: bool,
}

fn parse_max_viewers(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a whole number")),
    }
}

fn parse_api_key(text: &str) -> Result<String, String> {
    let key = text.trim();
    if key.chars().count() < MIN_API_KEY_LEN {
        return Err(format!("must be at least {MIN_API_KEY_LEN} characters (it guards a public endpoint)"));
    }
    if key.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("must not contain spaces or control characters".into());
    }
    Ok(key.to_owned())
}

impl RelayArgs {
    pub fn config(&self) -> RelayConfig {
        // clap requires the key unless --check-health, which needs no config.
        let api_key = self.api_key.clone().unwrap_or_default();
        RelayConfig { listen: self.listen, api_key, max_viewers: self.max_viewers }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<RelayArgs, clap::Error> {
        RelayArgs::try_parse_from(std::iter::once("sysmonstm-relay").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_with_a_key() {
        let config = parse(&["--api-key", "0123456789abcdef"]).expect("parses").config();
        assert_eq!(config.listen, "0.0.0.0:8090".parse().expect("addr"));
        assert_eq!(config.max_viewers, 10_000);
        assert_eq!(config.api_key, "0123456789abcdef");
    }

    #[test]
    fn refuses_to_start_without_a_good_key() {
        let missing = parse(&[]).expect_err("a key is required").to_string();
        assert!(missing.contains("--api-key"), "{missing}");
        assert!(parse(&["--check-health"]).is_ok(), "the health probe needs no key");
        for key in ["short", "0123456789 abcdef"] {
            let err = parse(&["--api-key", key]).expect_err("bad key refused").to_string();
            assert!(err.contains("--api-key"), "{err}");
        }
    }

    #[test]
    fn errors_name_the_flag() {
        for (args, flag) in [
            (vec!["--listen", "nowhere"], "--listen"),
            (vec!["--max-viewers", "0"], "--max-viewers"),
            (vec!["--max-viewers", "many"], "--max-viewers"),
        ] {
            let mut all = vec!["--api-key", "0123456789abcdef"];
            all.extend(args.iter());
            let err = parse(&all).expect_err("bad flag refused").to_string();
            assert!(err.contains(flag), "{args:?}: {err}");
        }
    }
}
