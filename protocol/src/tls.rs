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
    #[error(
        "the TLS certificate {path} is a CA certificate (basicConstraints CA:TRUE), and agents refuse a CA \
         certificate as the hub's own (CaUsedAsEndEntity). Keep it as the CA (agents' --tls-ca) and give the \
         hub a certificate signed by it: SECURITY.md, \"TLS certificates\", shows the openssl commands"
    )]
    CaAsServer { path: String },
    #[error(
        "the TLS certificate {path} names no host (no subjectAltName), and agents match the hub's name only \
         against subjectAltName: add one (-addext subjectAltName=DNS:<the name agents use>; SECURITY.md, \
         \"TLS certificates\")"
    )]
    NoSubjectAltName { path: String },
    #[error("the TLS certificate {path} cannot be read as X.509: {problem}")]
    BadCertificate { path: String, problem: String },
}

/// Checks the hub's own certificate (the first in the chain) is one agents
/// accept as a server's: not a CA, and naming a host in subjectAltName.
/// rustls refuses either at every agent's handshake; refusing it at the
/// hub's start says what is wrong once, where it can be fixed.
pub fn check_server_cert(pem: &[u8], path: &Path) -> Result<(), TlsError> {
    let shown = || path.display().to_string();
    let bad = |problem: String| TlsError::BadCertificate { path: shown(), problem };
    let (_, block) = x509_parser::pem::parse_x509_pem(pem).map_err(|e| bad(e.to_string()))?;
    let cert = block.parse_x509().map_err(|e| bad(e.to_string()))?;
    let constraints = cert.basic_constraints().map_err(|e| bad(e.to_string()))?;
    if constraints.is_some_and(|c| c.value.ca) {
        return Err(TlsError::CaAsServer { path: shown() });
    }
    let names = cert.subject_alternative_name().map_err(|e| bad(e.to_string()))?;
    if names.is_none_or(|n| n.value.general_names.is_empty()) {
        return Err(TlsError::NoSubjectAltName { path: shown() });
    }
    Ok(())
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
        check_server_cert(&cert, &self.cert)?;
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

    fn self_signed(ca: bool, names: &[&str]) -> Vec<u8> {
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).expect("params");
        params.distinguished_name.push(rcgen::DnType::CommonName, "hub");
        if ca {
            params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        }
        let key = rcgen::KeyPair::generate().expect("key");
        params.self_signed(&key).expect("cert").pem().into_bytes()
    }

    #[test]
    fn a_ca_or_nameless_certificate_is_refused_saying_what_to_do() {
        let path = Path::new("/etc/hub.pem");
        let error = check_server_cert(&self_signed(true, &["hub"]), path).expect_err("a CA").to_string();
        assert!(error.contains("/etc/hub.pem") && error.contains("CA certificate"), "{error}");
        assert!(error.contains("SECURITY.md"), "says where the commands are: {error}");
        let error = check_server_cert(&self_signed(false, &[]), path).expect_err("no SAN").to_string();
        assert!(error.contains("subjectAltName"), "{error}");
        check_server_cert(&self_signed(false, &["hub.example.com"]), path).expect("a server certificate");
        let error = check_server_cert(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", path)
            .expect_err("not X.509")
            .to_string();
        assert!(error.contains("/etc/hub.pem"), "{error}");
    }
}
