//! gRPC services (tonic), on their own multi-threaded tokio runtime. They
//! reach actors only through `Addr`s, and convert protobuf to domain types
//! here, at the edge.

pub mod auth;
pub mod fleet;
pub mod ingest;
pub mod limit;
pub mod serve;
pub mod validate;
