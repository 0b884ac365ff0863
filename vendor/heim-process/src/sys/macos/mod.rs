mod bindings;
mod wrappers;

mod pids;
mod process;
mod utils;

pub use self::pids::*;
pub use self::process::*;
