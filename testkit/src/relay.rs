//! A real relay in-process, on loopback port 0 unless the test says where.

use sysmonstm_relay::{RelayConfig, RelayHandle};

/// A relay taking hubs that present `key`, configured further by `configure`.
pub fn start_relay(key: &str, configure: impl FnOnce(&mut RelayConfig)) -> RelayHandle {
    let mut config = RelayConfig::ephemeral(key);
    configure(&mut config);
    sysmonstm_relay::start(config, sysmonstm_protocol::logging::discard()).expect("relay starts")
}
