//! Which pages may open the hub's WebSocket: the hub's own, and origins an
//! operator allows (`--allowed-origin`). Browsers always send `Origin` on a
//! WebSocket upgrade, so a page elsewhere cannot read the live feed through
//! a visitor's browser; clients that are not browsers send none and are let
//! through (they could forge any header anyway).

/// Whether an upgrade with `origin` to a hub reached as `host` is allowed.
pub fn allowed(origin: Option<&str>, host: Option<&str>, extra: &[String]) -> bool {
    let Some(origin) = origin else {
        return true;
    };
    let origin = origin.trim_end_matches('/');
    if extra.iter().any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin)) {
        return true;
    }
    // Same origin: the Origin's host[:port] is the Host the request came to.
    let authority = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"));
    match (authority, host) {
        (Some(authority), Some(host)) => authority.eq_ignore_ascii_case(host),
        _ => false,
    }
}

/// Checks one `--allowed-origin` value: `scheme://host[:port]`, nothing more.
pub fn parse(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text)
        .map_err(|e| format!("`{text}` is not an origin ({e}); write e.g. https://ops.example.com"))?;
    let only_origin = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && (url.path() == "/" || url.path().is_empty())
        && url.query().is_none()
        && url.fragment().is_none();
    if !only_origin {
        return Err(format!("`{text}` must be scheme://host[:port] with http or https, like https://ops.example.com"));
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_and_listed_origins_only() {
        let extra = vec!["https://ops.example.com".to_owned()];
        assert!(allowed(None, Some("hub:8080"), &extra), "non-browser clients send no Origin");
        assert!(allowed(Some("http://hub:8080"), Some("hub:8080"), &[]));
        assert!(allowed(Some("http://HUB:8080"), Some("hub:8080"), &[]));
        assert!(allowed(Some("https://ops.example.com"), Some("hub:8080"), &extra));
        assert!(allowed(Some("https://ops.example.com/"), Some("hub:8080"), &extra));
        assert!(!allowed(Some("http://evil.example"), Some("hub:8080"), &extra));
        assert!(!allowed(Some("http://hub:8081"), Some("hub:8080"), &[]));
        assert!(!allowed(Some("null"), Some("hub:8080"), &[]));
        assert!(!allowed(Some("http://hub:8080"), None, &[]));
    }

    #[test]
    fn allowed_origin_values() {
        assert_eq!(parse("https://ops.example.com").as_deref(), Ok("https://ops.example.com"));
        assert_eq!(parse("http://10.0.0.5:3000/").as_deref(), Ok("http://10.0.0.5:3000"));
        for bad in ["ops.example.com", "ftp://x", "https://x/path", "https://x/?q=1", ""] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
