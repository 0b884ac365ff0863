mod command;
mod cpu_times;
mod env;
mod io;
mod paths;
mod stat;
mod statm;

pub use self::command::{command, Command, CommandIter};
pub use self::cpu_times::CpuTime;
pub use self::env::{environment, Environment, IntoEnvironmentIter};
pub use self::io::{io, IoCounters};
pub use self::paths::process_file_path;
pub use self::stat::{stat, Stat};
pub use self::statm::{stat_memory, Memory};
