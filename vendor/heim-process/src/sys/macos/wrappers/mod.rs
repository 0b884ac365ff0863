mod proc_args;

pub use self::proc_args::{ProcArgs, ProcArgsArguments};
