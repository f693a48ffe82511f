//! A test CA (P-256) and a server certificate for loopback, written as PEM files the registry reads.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256,
};

/// A test CA and a server certificate it signed for `127.0.0.1`, `::1` and `localhost`.
///
/// Each `TestCa::new()` is a new CA: clients that trust one do not trust another.
#[derive(Debug)]
pub struct TestCa {
    ca_pem: String,
    server_cert_pem: String,
    server_key_pem: String,
}

impl TestCa {
    /// Generates the CA and the server certificate (P-256, so it is quick).
    pub fn new() -> Self {
        Self::with_names(&[])
    }

    /// Like [`new`](Self::new), with the server certificate also valid for `names` (a registry reached by a name
    /// that only a proxy resolves, for example).
    pub fn with_names(names: &[&str]) -> Self {
        let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name.push(DnType::CommonName, "oci-testkit CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);

        let server_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut subject_names = vec!["127.0.0.1".to_owned(), "::1".to_owned(), "localhost".to_owned()];
        subject_names.extend(names.iter().map(|name| (*name).to_owned()));
        let mut server = CertificateParams::new(subject_names).unwrap();
        server
            .distinguished_name
            .push(DnType::CommonName, "oci-testkit registry");
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let server_cert = server.signed_by(&server_key, &issuer).unwrap();
        Self {
            ca_pem: ca_cert.pem(),
            server_cert_pem: server_cert.pem(),
            server_key_pem: server_key.serialize_pem(),
        }
    }

    /// The CA certificate as PEM, what a client trusts.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Writes the CA certificate into `dir` as `ca.pem`, returning its path (for `--ca-cert` and the like).
    pub fn write_ca_file(&self, dir: &Path) -> PathBuf {
        let path = dir.join("ca.pem");
        std::fs::write(&path, &self.ca_pem).unwrap();
        path
    }

    /// Writes the server certificate and key into `dir` as `server.crt` and `server.key`, returning their paths.
    pub fn write_server_files(&self, dir: &Path) -> (PathBuf, PathBuf) {
        let cert = dir.join("server.crt");
        let key = dir.join("server.key");
        std::fs::write(&cert, &self.server_cert_pem).unwrap();
        std::fs::write(&key, &self.server_key_pem).unwrap();
        (cert, key)
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

/// A certificate authority's parameters, `O=oci-testkit, CN=name`, valid from 2020 to 2090, for signing certificates
/// and CRLs: the roots and intermediates of the test kit's Sigstore instance, timestamp authority and notary.
pub(crate) fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::OrganizationName, "oci-testkit");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2090, 1, 1);
    params
}
