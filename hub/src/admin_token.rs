//! The admin token that REST mutations need: from `--admin-token`, else
//! generated at first start and kept in the data directory (mode 0600).

use std::io::Write;
use std::path::Path;

use slog::{info, Logger};

/// The token file inside the data directory.
pub const FILE_NAME: &str = "admin-token";

/// The token to use; generates and stores one when none is configured or kept.
pub fn resolve(configured: Option<&str>, data_dir: &Path, log: &Logger) -> std::io::Result<String> {
    if let Some(token) = configured.filter(|t| !t.is_empty()) {
        return Ok(token.to_owned());
    }
    let path = data_dir.join(FILE_NAME);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let token = text.trim();
        if !token.is_empty() {
            return Ok(token.to_owned());
        }
    }
    let token = format!("{:032x}", rand::random::<u128>());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path)?;
    writeln!(file, "{token}")?;
    info!(log, "generated an admin token for REST changes (shown once; kept in the data directory)";
        "admin_token" => &token, "file" => %path.display());
    Ok(token)
}

pub use sysmonstm_protocol::token::matches;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_wins_generated_is_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let log = sysmonstm_protocol::logging::discard();
        assert_eq!(resolve(Some("given"), dir.path(), &log).expect("token"), "given");
        let generated = resolve(None, dir.path(), &log).expect("token");
        assert_eq!(generated.len(), 32);
        assert_eq!(resolve(None, dir.path(), &log).expect("token"), generated, "kept across starts");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE_NAME)).expect("file").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches("abc", "abc") && !matches("abd", "abc") && !matches("ab", "abc"));
    }
}
