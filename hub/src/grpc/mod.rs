//! gRPC services (tonic), on their own multi-threaded tokio runtime. They
//! reach actors only through `Addr`s, and convert protobuf to domain types
//! here, at the edge.
//!
//! - [`auth`]: agent token rules and issued tokens, and the machine ids
//!   each may report; [`token_refresh`]: issued tokens kept in step with
//!   the store.
//! - [`ingest`]: `AgentIngest.Stream`; [`validate`]: every field checked.
//! - [`fleet`]: `FleetQuery` (list, get, watch).
//! - [`limit`]: the cap on open connections; [`serve`]: TLS, caps, the
//!   hub's own agent on its loopback port, serving until shutdown.

pub mod auth;
pub mod fleet;
pub mod ingest;
pub mod limit;
pub mod serve;
pub mod token_refresh;
pub mod validate;
