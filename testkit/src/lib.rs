//! What sysmonstm's tests share, one definition each: the hub's, the
//! relay's and the load generator's tests start real parts with it and
//! speak to them as users and agents do.
//!
//! # Layout
//! - [`hub`]: a real hub in-process on port 0 ([`TestHub`]) and its REST
//!   reads (`machines`, `wait_status`, `recent_seqs`).
//! - [`relay`]: a real relay in-process on port 0.
//! - [`agent`]: a real agent in-process ([`TestAgent`]) and the
//!   protocol-level [`RawAgent`] (the load generator's agent, with a test's
//!   expectations), with `hello` / `sample` messages.
//! - [`ws`]: a browser on `/ws`: connect, next frame, wait for a machine.
//! - [`webhook`]: webhook receivers on loopback (failing first, or hanging).
//! - [`receiver`]: an HTTP receiver answering as notification services do
//!   (Slack, Discord, Telegram, ntfy, Gotify, PagerDuty), recording requests.
//! - [`smtp`]: a real SMTP server (aiosmtpd), plain, STARTTLS or TLS, with AUTH.
//! - [`stored`]: which samples a store holds, per agent instance.
//! - [`postgres`], [`redis`]: throwaway servers from Debian's binaries.
//! - [`tls`]: a throwaway PKI (rcgen).
//! - [`wait`]: [`WAIT`] and [`eventually`], how long a test waits and how.
//! - [`ports`]: a free loopback port.
//! - [`files`]: a static file server (a download mirror).
//! - [`bins`]: the workspace's binaries beside the running test.

pub mod agent;
pub mod bins;
pub mod files;
pub mod hub;
pub mod ports;
pub mod postgres;
pub mod receiver;
pub mod redis;
pub mod relay;
pub mod smtp;
pub mod stored;
pub mod tls;
pub mod wait;
pub mod webhook;
pub mod ws;

pub use agent::{hello, sample, RawAgent, TestAgent};
pub use hub::{get_json, machine, machines, recent_seqs, send_json, wait_status, TestHub};
pub use ports::free_port;
pub use relay::start_relay;
pub use stored::{count_instances, sqlite_instances, sqlite_stored_seqs};
pub use wait::{eventually, WAIT};
pub use ws::{ws_connect, ws_next, ws_send_text, ws_until, Ws};
