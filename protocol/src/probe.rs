//! `--check-health` of the hub and relay binaries: GET `/health` on the
//! local server and exit 0 only on 200. Container health checks run the
//! binary itself, so images need no curl.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// How long the probe waits to connect, and then for the answer.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The address to probe for a server listening on `listen` (unspecified → loopback).
pub fn local(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

/// GET `path` on `addr` (HTTP/1.0): the status line and the body.
pub fn get(addr: SocketAddr, path: &str) -> Result<(String, String), String> {
    let mut stream = TcpStream::connect_timeout(&addr, PROBE_TIMEOUT).map_err(|e| format!("{addr}: {e}"))?;
    stream.set_read_timeout(Some(PROBE_TIMEOUT)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(PROBE_TIMEOUT)).map_err(|e| e.to_string())?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("{addr}: {e}"))?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).map_err(|e| format!("{addr}: {e}"))?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    Ok((head.lines().next().unwrap_or_default().to_owned(), body.to_owned()))
}

/// GET `path` on `addr`; Ok with the status line when it is 200.
pub fn check(addr: SocketAddr, path: &str) -> Result<String, String> {
    let (status, _) = get(addr, path)?;
    if status.split_whitespace().nth(1) == Some("200") {
        Ok(status)
    } else {
        Err(format!("http://{addr}{path} answered `{status}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn serve_once(answer: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        std::thread::spawn(move || {
            if let Ok((mut conn, _)) = listener.accept() {
                // Read the whole request: closing with unread bytes would reset the connection.
                let mut request = Vec::new();
                let mut buf = [0u8; 512];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = conn.write_all(answer.as_bytes());
            }
        });
        addr
    }

    #[test]
    fn ok_only_on_200() {
        assert!(check(serve_once("HTTP/1.1 200 OK\r\n\r\n{}"), "/health").is_ok());
        let err = check(serve_once("HTTP/1.1 503 Service Unavailable\r\n\r\n"), "/health").expect_err("503");
        assert!(err.contains("503"), "{err}");
    }

    #[test]
    fn get_returns_the_body() {
        let (status, body) = get(serve_once("HTTP/1.1 200 OK\r\nA: b\r\n\r\nline 1\nline 2"), "/m").expect("get");
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert_eq!(body, "line 1\nline 2");
    }

    #[test]
    fn nothing_listening_is_an_error() {
        let port = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        assert!(check(SocketAddr::from(([127, 0, 0, 1], port)), "/health").is_err());
    }

    #[test]
    fn unspecified_becomes_loopback() {
        assert_eq!(local("0.0.0.0:8080".parse().expect("addr")), "127.0.0.1:8080".parse().expect("addr"));
        assert_eq!(local("[::]:1".parse().expect("addr")), "[::1]:1".parse().expect("addr"));
        assert_eq!(local("10.0.0.1:1".parse().expect("addr")), "10.0.0.1:1".parse().expect("addr"));
    }
}
