//! The workspace's binaries, as `cargo build --workspace` left them beside
//! the running test (`target/debug/`).

use std::path::PathBuf;

/// `target/<profile>/<name>`; panics saying how to build it when missing.
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    // target/debug/deps/<test>-<hash> → target/debug/<name>
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps");
    let path = dir.join(name);
    assert!(path.is_file(), "{} is missing: build the workspace first (cargo build --workspace)", path.display());
    path
}
