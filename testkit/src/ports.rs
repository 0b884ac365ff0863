//! Free loopback ports, for servers started as processes.

/// A loopback port free now (the OS picked it; it may be taken again later).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}
