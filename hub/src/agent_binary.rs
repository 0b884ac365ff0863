//! The agent binary the hub hands out at `/download/sysmonstm-agent`, and
//! its SHA-256 (computed once per version of the file: a rebuilt binary
//! gets a new sum, an unchanged one is not read again).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use thiserror::Error;

/// The file name agents are downloaded as.
pub const FILE_NAME: &str = "sysmonstm-agent";

#[derive(Debug, Error)]
pub enum AgentBinaryError {
    #[error(
        "no agent binary at {0}: build it next to the hub (cargo build --release -p sysmonstm-agent) or pass --agent-binary PATH"
    )]
    Missing(PathBuf),
    #[error("the agent binary {path} cannot be read: {source}")]
    Unreadable { path: PathBuf, source: std::io::Error },
}

/// What identifies one version of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Version {
    len: u64,
    modified: Option<SystemTime>,
}

#[derive(Debug)]
pub struct AgentBinary {
    path: PathBuf,
    summed: Mutex<Option<(Version, String)>>,
}

impl AgentBinary {
    /// The binary at `configured` (`--agent-binary`), or else the
    /// `sysmonstm-agent` next to the running hub.
    pub fn new(configured: Option<PathBuf>) -> Self {
        let path = configured.unwrap_or_else(|| {
            std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(|dir| dir.join(FILE_NAME)))
                .unwrap_or_else(|| PathBuf::from(FILE_NAME))
        });
        AgentBinary { path, summed: Mutex::new(None) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its size, when it is there to serve.
    pub fn size(&self) -> Result<u64, AgentBinaryError> {
        self.version().map(|v| v.len)
    }

    fn version(&self) -> Result<Version, AgentBinaryError> {
        match std::fs::metadata(&self.path) {
            Ok(meta) if meta.is_file() => Ok(Version { len: meta.len(), modified: meta.modified().ok() }),
            Ok(_) => Err(AgentBinaryError::Missing(self.path.clone())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(AgentBinaryError::Missing(self.path.clone())),
            Err(source) => Err(AgentBinaryError::Unreadable { path: self.path.clone(), source }),
        }
    }

    /// The file's SHA-256 as lowercase hex (reads the file; call it off the
    /// request threads).
    pub fn sha256(&self) -> Result<String, AgentBinaryError> {
        let version = self.version()?;
        if let Some((held, sum)) = self.summed.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            if *held == version {
                return Ok(sum.clone());
            }
        }
        let unreadable = |source| AgentBinaryError::Unreadable { path: self.path.clone(), source };
        let mut file = std::fs::File::open(&self.path).map_err(unreadable)?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buffer).map_err(unreadable)?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
        }
        let sum = crate::hex::encode(&hasher.finalize());
        *self.summed.lock().unwrap_or_else(|p| p.into_inner()) = Some((version, sum.clone()));
        Ok(sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sum_is_sha256_and_follows_a_rebuilt_file() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join(FILE_NAME);
        let binary = AgentBinary::new(Some(path.clone()));
        assert!(matches!(binary.sha256(), Err(AgentBinaryError::Missing(p)) if p == path));
        std::fs::write(&path, b"abc").expect("write");
        // SHA-256("abc"), FIPS 180-2's example.
        assert_eq!(binary.sha256().expect("sum"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        std::fs::write(&path, b"abcd").expect("write");
        assert_eq!(binary.sha256().expect("sum"), "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589");
        assert_eq!(binary.size().expect("size"), 4);
    }
}
