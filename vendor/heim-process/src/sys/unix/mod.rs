mod bindings;
mod env;
mod process;

pub use self::env::{Environment, EnvironmentIter, IntoEnvironmentIter};
pub use self::process::{pid_exists, pid_kill, pid_priority, pid_setpriority, pid_wait};
