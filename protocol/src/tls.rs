//! TLS for the agents' gRPC connection (rustls, through tonic): PEM files
//! read and checked at start-up, with errors that name the file.
//!
//! The hub presents a certificate and key and may require client
//! certificates signed by a CA (mutual TLS); the agent trusts a CA file or,
//! without one, the system's roots, and may present its own certificate.

use std::path::{Path, PathBuf};

use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the {what} {path}: {source}")]
    Read { what: &'static str, path: String, source: std::io::Error },
    #[error("the {what} {path} holds no PEM {expected} (a block starting -----BEGIN {expected}-----)")]
    NotPem { what: &'static str, path: String, expected: &'static str },
    #[error("TLS set-up failed: {0}")]
    Config(String),
}

/// Reads a PEM file and checks it holds a block whose label ends with `label`.
fn read_pem(what: &'static str, path: &Path, label: &'static str) -> Result<Vec<u8>, TlsError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| TlsError::Read { what, path: shown.clone(), source })?;
    let text = String::from_utf8_lossy(&bytes);
    let found = text.lines().any(|l| l.starts_with("-----BEGIN ") && l.trim_end().ends_with(&format!("{label}-----")));
    if !found {
        return Err(TlsError::NotPem { what, path: shown, expected: label });
    }
    Ok(bytes)
}

/// The hub's side: its certificate chain and key, and optionally the CA
/// client certificates must chain to.
#[derive(Debug, Clone)]
pub struct ServerTls {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: Option<PathBuf>,
}

impl ServerTls {
    pub fn config(&self) -> Result<ServerTlsConfig, TlsError> {
        let cert = read_pem("TLS certificate", &self.cert, "CERTIFICATE")?;
        let key = read_pem("TLS key", &self.key, "PRIVATE KEY")?;
        let mut config = ServerTlsConfig::new().identity(Identity::from_pem(cert, key));
        if let Some(ca) = &self.client_ca {
            config = config.client_ca_root(Certificate::from_pem(read_pem("client CA", ca, "CERTIFICATE")?));
        }
        // tonic parses the PEM when the config is applied: do it now, so a
        // bad key is a start-up error rather than a failing server.
        tonic::transport::Server::builder()
            .tls_config(config.clone())
            .map_err(|e| TlsError::Config(crate::error_chain(&e)))?;
        Ok(config)
    }
}

/// The agent's side: the CA to trust (else the system's roots) and
/// optionally a client certificate and key for mutual TLS.
#[derive(Debug, Clone, Default)]
pub struct ClientTls {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

impl ClientTls {
    pub fn config(&self) -> Result<ClientTlsConfig, TlsError> {
        let mut config = ClientTlsConfig::new();
        config = match &self.ca {
            Some(ca) => config.ca_certificate(Certificate::from_pem(read_pem("CA", ca, "CERTIFICATE")?)),
            None => config.with_native_roots(),
        };
        match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => {
                let cert = read_pem("client certificate", cert, "CERTIFICATE")?;
                let key = read_pem("client key", key, "PRIVATE KEY")?;
                config = config.identity(Identity::from_pem(cert, key));
            }
            (None, None) => {}
            _ => return Err(TlsError::Config("a client certificate needs both --tls-cert and --tls-key".into())),
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_non_pem_files_are_named() {
        let dir = std::env::temp_dir().join(format!("sysmonstm-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let junk = dir.join("junk.pem");
        std::fs::write(&junk, "not a certificate\n").expect("write");
        let missing = ServerTls { cert: dir.join("absent.pem"), key: junk.clone(), client_ca: None };
        let error = missing.config().expect_err("missing file").to_string();
        assert!(error.contains("TLS certificate") && error.contains("absent.pem"), "{error}");
        let junk_cert = ServerTls { cert: junk.clone(), key: junk.clone(), client_ca: None };
        let error = junk_cert.config().expect_err("not PEM").to_string();
        assert!(error.contains("junk.pem") && error.contains("-----BEGIN CERTIFICATE-----"), "{error}");
        let half = ClientTls { ca: None, cert: Some(junk.clone()), key: None };
        assert!(half.config().expect_err("cert without key").to_string().contains("--tls-key"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
