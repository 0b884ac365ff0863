//! The hub's actors, one per file.

pub mod alert_engine;
pub mod fanout;
pub mod machine_session;
pub mod notifier;
pub mod redis_bridge;
pub mod registry;
pub mod relay_link;
pub mod storage_writer;
pub mod system;
