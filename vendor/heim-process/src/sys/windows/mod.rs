mod bindings;

mod pids;
mod process;

pub use self::pids::*;
pub use self::process::*;
