//! Keeping browsers' WebSockets alive, the same on hub and relay: a ping
//! every [`HEARTBEAT_INTERVAL`], and a viewer silent for [`CLIENT_TIMEOUT`]
//! (no pong, no message) is dropped.

use std::time::Duration;

/// How often viewers are pinged.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(10);
/// A viewer silent this long is dropped.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);
