//! macOS-specific extensions.

mod memory;

pub use self::memory::MemoryExt;
