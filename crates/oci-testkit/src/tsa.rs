//! An RFC 3161 timestamp authority for the tests: OpenSSL's `openssl ts -reply`, answering `openssl ts -query`, with
//! a CA and a time-stamping certificate made here. OpenSSL is an independent implementation of RFC 3161, so the DER
//! the verifiers read is not this workspace's own. Its time is the real time: what it timestamps, it timestamps now.

use std::path::{Path, PathBuf};

use rcgen::{CertificateParams, CustomExtension, DnType, Issuer, KeyPair, KeyUsagePurpose};

use crate::pki::ca_params;
use crate::temp::{TempDir, pem};
use crate::tools::{apt, tool};

/// The extended key usage extension (2.5.29.37), and its value naming `id-kp-timeStamping` alone, which RFC 3161
/// (and OpenSSL) want critical.
const EXTENDED_KEY_USAGE: &[u64] = &[2, 5, 29, 37];
const TIME_STAMPING_EKU: &[u8] = &[0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];

/// A timestamp authority: its CA and leaf certificates, and the files OpenSSL's `ts -reply` signs with.
pub struct Tsa {
    dir: TempDir,
    root_der: Vec<u8>,
    leaf_der: Vec<u8>,
}

impl std::fmt::Debug for Tsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tsa").finish_non_exhaustive()
    }
}

impl Default for Tsa {
    fn default() -> Self {
        Self::new()
    }
}

impl Tsa {
    /// A CA and a time-stamping leaf it issued (ECDSA P-256), the leaf's key and certificate written for OpenSSL.
    pub fn new() -> Self {
        let root_key = KeyPair::generate().unwrap();
        let root = ca_params("test timestamp root").self_signed(&root_key).unwrap();
        let root_issuer = Issuer::new(ca_params("test timestamp root"), root_key);
        let leaf_key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::OrganizationName, "oci-testkit");
        params
            .distinguished_name
            .push(DnType::CommonName, "test timestamp authority");
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        // OpenSSL signs only with a certificate whose extended key usage is time stamping alone, and critical.
        let mut eku = CustomExtension::from_oid_content(EXTENDED_KEY_USAGE, TIME_STAMPING_EKU.to_vec());
        eku.set_criticality(true);
        params.custom_extensions = vec![eku];
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2090, 1, 1);
        let leaf = params.signed_by(&leaf_key, &root_issuer).unwrap();
        let dir = TempDir::new("tsa");
        std::fs::write(dir.path().join("tsa.pem"), leaf.pem()).unwrap();
        std::fs::write(dir.path().join("tsa.key"), leaf_key.serialize_pem()).unwrap();
        std::fs::write(dir.path().join("serial"), "01\n").unwrap();
        let config = format!(
            "[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\nserial = {}\ncrypto_device = builtin\n\
             signer_digest = sha256\ndefault_policy = 1.3.6.1.4.1.57264.2\ndigests = sha256, sha384, sha512\n\
             accuracy = secs:1\nordering = no\ntsa_name = no\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n",
            dir.path().join("serial").display()
        );
        std::fs::write(dir.path().join("ts.cnf"), config).unwrap();
        Self {
            dir,
            root_der: root.der().to_vec(),
            leaf_der: leaf.der().to_vec(),
        }
    }

    /// OpenSSL's RFC 3161 response (DER) timestamping `data`, with the authority's certificate embedded; with
    /// `token_only`, the `TimeStampToken` alone (what notation's countersignature holds).
    ///
    /// # Panics
    ///
    /// When OpenSSL is missing or refuses (a broken fixture).
    pub fn timestamp(&self, data: &[u8], token_only: bool) -> Vec<u8> {
        let openssl = tool("OCI_TEST_OPENSSL", "/usr/bin/openssl", &apt("openssl"));
        let dir = self.dir.path();
        let (data_file, query, reply) = (dir.join("data"), dir.join("query.tsq"), dir.join("reply.tsr"));
        std::fs::write(&data_file, data).unwrap();
        let run = |command: &mut std::process::Command| {
            let out = command.output().unwrap();
            assert!(
                out.status.success(),
                "{command:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        run(std::process::Command::new(&openssl)
            .args(["ts", "-query", "-sha256", "-cert", "-data"])
            .arg(&data_file)
            .arg("-out")
            .arg(&query));
        let mut command = std::process::Command::new(&openssl);
        command
            .args(["ts", "-reply", "-config"])
            .arg(dir.join("ts.cnf"))
            .arg("-queryfile")
            .arg(&query)
            .arg("-signer")
            .arg(dir.join("tsa.pem"))
            .arg("-inkey")
            .arg(dir.join("tsa.key"))
            .arg("-out")
            .arg(&reply);
        if token_only {
            command.arg("-token_out");
        }
        run(&mut command);
        std::fs::read(reply).unwrap()
    }

    /// The authority's root certificate (DER).
    pub fn root_der(&self) -> &[u8] {
        &self.root_der
    }

    /// The authority's signing certificate (DER).
    pub fn leaf_der(&self) -> &[u8] {
        &self.leaf_der
    }

    /// Writes the root certificate in PEM to `dir/name` (a notation trust store of type `tsa`) and gives the path.
    pub fn write_root(&self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, pem("CERTIFICATE", &self.root_der)).unwrap();
        path
    }
}
