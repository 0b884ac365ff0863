//! The one-line agent install (pure): what `GET /install.sh` says, and
//! where it tells a new machine to download from and connect to.
//!
//! The script is [`SCRIPT_TEMPLATE`] (`install.sh` beside this file) with
//! the hub's HTTP base URL (downloads), the gRPC URL agents connect to, and
//! the hub's architecture filled in, each shell-quoted. The gRPC URL is
//! `--public-url` when set, otherwise the host the request named with the
//! hub's gRPC port (`https://` when the hub has TLS).

use thiserror::Error;

/// The POSIX sh script, with `@HUB_URL@`, `@GRPC_URL@` and `@ARCH@` to fill.
pub const SCRIPT_TEMPLATE: &str = include_str!("install.sh");

/// Where a new machine downloads from and what its agent connects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advertised {
    /// The hub's HTTP base, as the machine reached it (`http://hub:8080`).
    pub hub_url: String,
    /// The agent's `--hub` (`http://hub:50051`).
    pub grpc_url: String,
}

/// A `Host` header the hub will not write into a script.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("the Host header {0:?} is not a host name or address (letters, digits, '.', '-', ':', '[', ']')")]
pub struct BadHost(pub String);

/// What to advertise to a machine that asked with `scheme` and `host` (the
/// request's `Host`, maybe with a port).
pub fn advertised(
    public_url: Option<&str>,
    scheme: &str,
    host: &str,
    grpc_port: u16,
    tls: bool,
) -> Result<Advertised, BadHost> {
    if !is_host(host) {
        return Err(BadHost(host.to_owned()));
    }
    let hub_url = format!("{}://{host}", if scheme == "https" { "https" } else { "http" });
    let grpc_url = match public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("{}://{}:{grpc_port}", if tls { "https" } else { "http" }, host_name(host)),
    };
    Ok(Advertised { hub_url, grpc_url })
}

/// Whether `text` is a host name or address, with or without a port, and
/// nothing a shell would read: what may be written into a script.
fn is_host(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 255
        && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// `--public-url`: an http:// or https:// URL of a host, without a path
/// (it is written into install scripts); kept without a trailing `/`.
pub fn parse_public_url(text: &str) -> Result<String, String> {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or("must start with http:// or https:// (the agents' gRPC URL, https://hub.example:50051)")?;
    let host = rest.trim_end_matches('/');
    if host.contains('/') {
        return Err("must be scheme://host[:port], without a path".into());
    }
    if !is_host(host) {
        return Err(format!("{host:?} is not a host name or address"));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// `host` without its port (`[::1]:8080` → `[::1]`, `hub:8080` → `hub`).
fn host_name(host: &str) -> &str {
    if let Some(end) = host.strip_prefix('[').and_then(|rest| rest.find(']')) {
        return &host[..end + 2];
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

/// The install script for `advertised`, for machines of `arch` (`uname -m`).
pub fn script(advertised: &Advertised, arch: &str) -> String {
    SCRIPT_TEMPLATE
        .replace("@HUB_URL@", &quote(&advertised.hub_url))
        .replace("@GRPC_URL@", &quote(&advertised.grpc_url))
        .replace("@ARCH@", &quote(arch))
}

/// The hub's own architecture as `uname -m` names it: agents downloaded
/// from it run only there.
pub fn arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86" => "i686",
        other => other,
    }
}

/// `value` as one single-quoted shell word.
fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grpc_url_is_the_public_one_or_the_requested_host_with_the_grpc_port() {
        let plain = advertised(None, "http", "hub.example:8080", 50051, false).expect("host");
        assert_eq!(plain.hub_url, "http://hub.example:8080");
        assert_eq!(plain.grpc_url, "http://hub.example:50051");
        let tls = advertised(None, "https", "10.0.0.5", 50051, true).expect("host");
        assert_eq!((tls.hub_url.as_str(), tls.grpc_url.as_str()), ("https://10.0.0.5", "https://10.0.0.5:50051"));
        let v6 = advertised(None, "http", "[::1]:8080", 50051, false).expect("host");
        assert_eq!(v6.grpc_url, "http://[::1]:50051");
        let public = advertised(Some("https://agents.example:443/"), "http", "hub:8080", 50051, false).expect("host");
        assert_eq!(public.grpc_url, "https://agents.example:443");
    }

    #[test]
    fn a_host_header_that_is_not_a_host_is_refused() {
        for host in ["", "hub$(reboot)", "hub'; rm -rf /", "hub example", "hub/x"] {
            assert_eq!(advertised(None, "http", host, 1, false), Err(BadHost(host.to_owned())), "{host}");
        }
    }

    #[test]
    fn the_script_carries_the_values_shell_quoted() {
        let adv = Advertised { hub_url: "http://hub:8080".into(), grpc_url: "http://it's:50051".into() };
        let text = script(&adv, "x86_64");
        assert!(text.starts_with("#!/bin/sh"));
        assert!(text.contains("HUB_URL='http://hub:8080'"), "{text}");
        assert!(text.contains(r"GRPC_URL='http://it'\''s:50051'"), "{text}");
        assert!(text.contains("HUB_ARCH='x86_64'"), "{text}");
        for placeholder in ["@HUB_URL@", "@GRPC_URL@", "@ARCH@"] {
            assert!(!text.contains(placeholder), "{placeholder} is left");
        }
    }
}
