//! sysmonstm hub: receives agents' samples over gRPC, keeps the fleet's live
//! state in actors, and serves the dashboard, REST API and WebSocket.
//!
//! [`start`] runs a whole hub in-process (tests start it on port 0);
//! `main.rs` only parses flags, sets up logging and waits for a signal.
//!
//! # Layout
//! - [`cluster`]: what hubs sharing one Redis tell each other (pure).
//! - [`config`]: flags / environment and [`HubConfig`].
//! - [`server`]: start/stop: the actix system thread (actors + HTTP), the
//!   tonic runtime.
//! - [`actors`]: `MachineRegistry`, `MachineSession` (supervised, one per
//!   machine), `StorageWriter` (batches -> store -> acks), `AlertEngine`,
//!   `Notifier`, `Fanout` (viewers' broadcast), `RedisBridge` (hubs
//!   sharing Redis), `RelayLink`;
//!   `actors::system` starts them all.
//! - [`admin_token`]: the token REST mutations need (configured or generated).
//! - [`agent_binary`]: the agent binary new machines download, and its SHA-256.
//! - [`agent_tokens`]: agent tokens issued over REST (kept hashed), and the
//!   book streams are checked against.
//! - [`alerts`]: alert rules, validation and the alert state machine (pure).
//! - [`audit`]: the audit log of admin changes: entries, queries, who (pure).
//! - [`events`]: what the parts tell each other, as domain types: broker
//!   facts (`MetricsReceived`, `MachineWentOffline`, `AlertChanged`), the
//!   viewers' channel (`LiveEvent`), an agent's Hello and its session's
//!   replies (`AgentReply`).
//! - [`field_error`]: a refused input naming its field (queries, bodies, rules).
//! - [`health`]: "failing, and the last error" of the store or Redis.
//! - [`hex`]: bytes as hex (digests, signatures).
//! - [`grpc`]: `AgentIngest` and `FleetQuery` services, agent token rules,
//!   validation, the gRPC side's start-up (TLS, caps, the hub's own agent).
//! - [`http`]: REST handlers, `/ws` (each browser a task running the
//!   viewer crate's session loop over a feed coalesced per browser),
//!   embedded dashboard, viewer sign-in.
//! - [`install`]: the one-line install script and what it advertises (pure).
//! - [`labels`]: machine labels, what a valid set is (pure).
//! - [`liveness`]: when a machine counts as offline.
//! - [`machine_settings`]: labels and display name set at the hub (pure).
//! - [`metrics`]: the stored metrics, one column each (store, alerts, HTTP).
//! - [`notify`]: notifications: the message of an alert, its form for each
//!   channel kind, webhook signatures (pure), and sending (HTTP, SMTP).
//! - [`origin`]: which pages may open the live feed (`--allowed-origin`).
//! - [`read_access`]: who may read with `--viewer-token` (HTTP and FleetQuery).
//! - [`recent`]: the 5-minute live-chart ring of a machine.
//! - [`stats`]: counters behind `/api/stats`.
//! - [`store`]: history storage (SQLite default, PostgreSQL), rollups, history queries.
//! - [`token_rules`]: agent token rules as written (`TOKEN[=GLOB]`).
//! - [`when`]: times as clients write them (ms or RFC 3339).
//!
//! Imports run one way: leaves (`metrics`, `health`, `origin`,
//! `token_rules`, `labels`, `when`, `hex`) <- `agent_tokens` <- `alerts` <-
//! `notify`, `events` <- `store` <- `actors` <- `grpc`, `http` <- `server`;
//! `tests/structure.rs` fails on a cycle.

pub mod actors;
pub mod admin_token;
pub mod agent_binary;
pub mod agent_tokens;
pub mod alerts;
pub mod audit;
pub mod cluster;
pub mod config;
pub mod events;
pub mod field_error;
pub mod grpc;
pub mod health;
pub mod hex;
pub mod http;
pub mod install;
pub mod labels;
pub mod liveness;
pub mod machine_settings;
pub mod metrics;
pub mod notify;
pub mod origin;
pub mod read_access;
pub mod recent;
pub mod server;
pub mod stats;
pub mod store;
pub mod token_rules;
pub mod when;

pub use config::{HubArgs, HubConfig};
pub use server::{start, HubHandle, StartError};
/// The frames browsers receive (shared with the relay).
pub use sysmonstm_viewer::frames;

/// Milliseconds since the Unix epoch, now (the project's one wall clock).
pub use sysmonstm_protocol::clock::now_ms;
