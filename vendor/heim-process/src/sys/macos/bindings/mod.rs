mod proc_args;
mod process;

pub use self::proc_args::*;
pub use self::process::*;
