//! What browsers see of a sysmonstm hub or relay, written once for both.
//!
//! The hub and the relay keep only what differs: where a viewer's frames
//! come from (the hub coalesces its machine states per viewer, the relay
//! passes on frames encoded once) and the relay's read-only mode.
//!
//! # Layout
//! - [`dashboard`]: the embedded dashboard (`static/`), served as the hub
//!   serves it or in the relay's read-only mode.
//! - [`headers`]: the security headers on every response (a
//!   Content-Security-Policy with `frame-ancestors 'none'`, `nosniff`,
//!   `Referrer-Policy`).
//! - [`frames`]: the frames browsers receive (`snapshot`, `update`,
//!   `alert`), one serde definition.
//! - [`ring`]: the 5-minute live-chart ring of a machine.
//! - [`newest`]: which of two states of a machine a viewer sees.
//! - [`coalesce`]: a viewer's pending updates, latest per machine.
//! - [`session`]: one viewer's WebSocket, snapshot then its feed, the same
//!   loop on hub and relay.
//! - [`heartbeat`]: pings and the silence after which a viewer is dropped.
//! - [`meta`]: what the dashboard asks the server for (health limits).

pub mod coalesce;
pub mod dashboard;
pub mod frames;
pub mod headers;
pub mod heartbeat;
pub mod meta;
pub mod newest;
pub mod ring;
pub mod session;

pub use dashboard::Mode;
pub use headers::security_headers;
