//! System processes information.

#![doc(html_root_url = "https://docs.rs/heim-process/0.1.1-rc.1")]
#![allow(warnings)] // sysmonstm: lints as for any registry crate (cargo caps them there)
#![allow(clippy::missing_safety_doc)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod errors;
pub mod os;
mod sys;

mod pids;
mod process;

pub use self::pids::*;
pub use self::process::*;

pub use self::errors::{ProcessError, ProcessResult};
pub use heim_common::units::Time;
pub use heim_common::Pid;

#[cfg(target_os = "linux")]
pub use heim_net::IoCounters;
