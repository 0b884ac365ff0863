//! Where notifications may be sent: URLs checked before they are kept, and
//! the addresses the notifier refuses to connect to unless allowed.

use std::net::IpAddr;

/// What validation needs besides the input.
#[derive(Debug, Clone, Copy, Default)]
pub struct Policy {
    /// Accept notification URLs on loopback, link-local and private addresses.
    pub allow_private_webhooks: bool,
}

/// Checks a notification URL: http(s), with a host, and (unless allowed)
/// not a loopback, link-local or private address.
pub fn check_url(text: &str, policy: Policy) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|e| format!("`{text}` is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{text}` must be http:// or https://"));
    }
    let host = url.host().ok_or_else(|| format!("`{text}` has no host"))?;
    if !policy.allow_private_webhooks {
        let private = match host {
            url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost"),
            url::Host::Ipv4(ip) => is_private(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => is_private(IpAddr::V6(ip)),
        };
        if private {
            return Err(format!(
                "`{text}` points at a loopback, link-local or private address (see --allow-private-webhooks)"
            ));
        }
    }
    Ok(url)
}

/// Loopback, link-local, private, unspecified or unique-local.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback() || v4.is_private() || v4.is_link_local() || v4.is_unspecified() || v4.is_broadcast()
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_only_when_allowed() {
        let allow = Policy { allow_private_webhooks: true };
        assert!(check_url("http://127.0.0.1:8080/hook", allow).is_ok());
        assert!(check_url("http://localhost/hook", Policy::default()).is_err());
        assert!(check_url("http://[::1]/hook", Policy::default()).is_err());
        assert!(check_url("http://169.254.1.1/hook", Policy::default()).is_err());
        assert!(check_url("http://[::ffff:10.0.0.1]/hook", Policy::default()).is_err());
        assert!(check_url("https://hooks.example.com/hook", Policy::default()).is_ok());
        assert!(check_url("ftp://hooks.example.com/", allow).is_err());
    }
}
