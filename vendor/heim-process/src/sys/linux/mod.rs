mod pids;
mod process;

pub use self::pids::*;
pub use self::process::*;
pub use crate::sys::unix::{Environment, EnvironmentIter, IntoEnvironmentIter};
