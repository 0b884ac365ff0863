//! Wire protocol and shared domain model of sysmonstm.
//!
//! The agent and the hub speak gRPC (tonic + prost) with the messages in
//! `proto/sysmonstm/v1/`. Both sides convert protobuf types to the plain domain
//! types of [`model`] at the edge, so nothing deeper depends on prost.
//!
//! # Layout
//! - [`pb`]: generated protobuf/gRPC code (`sysmonstm.v1`).
//! - [`model`]: domain types (samples, host info, summaries, health) with serde.
//! - [`convert`]: `model` <-> `pb` conversions.
//! - [`backoff`]: doubling retry delays (optionally jittered), for every retry loop.
//! - [`clock`]: the wall clock as milliseconds since the epoch.
//! - [`machine_id`]: the one rule for what a machine id may be.
//! - [`labels`]: the one rule for what a machine label may be.
//! - [`duration`]: parsing "500ms", "5s", "2m" for flags and env values.
//! - [`logging`]: the slog logger every binary builds (text or JSON).
//! - [`raw_agent`]: an agent stream that sends exactly what it is told (load
//!   generator, tests).
//! - [`probe`]: the `--check-health` probe of the hub and relay binaries.
//! - [`token`]: constant-time token comparison, bearer headers.
//! - [`tls`]: TLS set-up of the gRPC connection from PEM files (hub and agent).

pub mod backoff;
pub mod clock;
pub mod convert;
pub mod duration;
pub mod labels;
pub mod logging;
pub mod machine_id;
pub mod model;
pub mod probe;
pub mod raw_agent;
pub mod tls;
pub mod token;

/// Generated protobuf and gRPC code for package `sysmonstm.v1`.
pub mod pb {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("sysmonstm.v1");
}

/// An error and its causes, "outer: inner: root" (tonic's transport errors
/// say only "transport error" at the top).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Version of this build, sent by agents in `Hello`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
