//! A throwaway PKI for TLS tests (rcgen): a CA, a hub certificate for
//! 127.0.0.1 and localhost, an agent's client certificate, and a second CA
//! nobody trusts. PEM files in a temporary directory.

use std::path::PathBuf;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};

pub struct TestPki {
    pub dir: tempfile::TempDir,
}

impl TestPki {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Reads one of the PEM files.
    pub fn pem(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).expect("PEM file")
    }
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA certificate")
}

/// Writes ca.pem, hub.pem, hub.key, agent.pem, agent.key, rogue-ca.pem,
/// rogue-agent.pem and rogue-agent.key.
pub fn make() -> TestPki {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: String| std::fs::write(dir.path().join(name), text).expect("write PEM");
    let trusted = ca("sysmonstm test CA");
    let rogue = ca("someone else's CA");
    write("ca.pem", trusted.pem());
    write("rogue-ca.pem", rogue.pem());

    let hub_key = KeyPair::generate().expect("key");
    let mut hub = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).expect("params");
    hub.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    write("hub.pem", hub.signed_by(&hub_key, &trusted).expect("hub certificate").pem());
    write("hub.key", hub_key.serialize_pem());

    for (prefix, issuer) in [("agent", &trusted), ("rogue-agent", &rogue)] {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(vec!["agent.example".to_owned()]).expect("params");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        write(&format!("{prefix}.pem"), params.signed_by(&key, issuer).expect("client certificate").pem());
        write(&format!("{prefix}.key"), key.serialize_pem());
    }
    TestPki { dir }
}
